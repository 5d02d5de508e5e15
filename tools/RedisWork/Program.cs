using System.Diagnostics;
using Gateway.Registry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

// Seed-shaped lifecycles (spawn, start, three assistant events, end) through RunRegistry, two runs per requester
// session. Default retention, fake clock, no sweep. mode:
// - "awaited" / "together", against a redis-server under callgrind (run.sh starts it): 300 of warm-up, then the
//   counters are zeroed, n lifecycles run, and the counters are dumped. awaited: each event awaited (an
//   operation and a call each, as over HTTP); together: a lifecycle's events in one operation, as runs.events sends them.
// - "sweep", under callgrind: n session-mode runs with no events, two per requester session (as the benchmark's
//   sweep measure), then every idle lease comes due at once (each run finalized as timeout, its completion
//   appended to a new log) and the counters are dumped; then every archive deadline (each run removed with its
//   session's log and run list) and they are dumped again.
// - "call", under callgrind: n reads of a run that does not exist (GET), each alone: what a call costs Redis
//   before any work (the function's call, the policy, the reply).
// - "memory": n lifecycles with every run held (1 ms apart: none is archived), then Redis bytes per run, in all
//   (used_memory's growth) and by kind of key (MEMORY USAGE of every key, by its name after the shard prefix).
if (args is not [var portText, var mode and ("awaited" or "together" or "call" or "sweep" or "memory"), var countText])
{
    Console.Error.WriteLine("usage: RedisWork <port> awaited|together|call|sweep|memory <lifecycles>");
    return 2;
}
var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{portText},syncTimeout=60000,asyncTimeout=60000,allowAdmin=true");
var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
var metrics = new RegistryMetrics(meters);
var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
var scripts = new RegistryScripts(redis, new RetentionPolicy(new RegistryOptions()), clock);
var registry = new RunRegistry(scripts, new GroupCommit(scripts, metrics, meters), metrics, new RunEndSignals(redis));
RunEvent[] events = [new("start", 1, ""), new("assistant", 2, """{"text":"partial answer 2"}"""),
    new("assistant", 3, """{"text":"partial answer 3"}"""), new("assistant", 4, """{"text":"partial answer 4"}"""), new("end", 5, "")];

// as the benchmark spawns (Gateway.Bench's load generators): a requester session, a child session, the same task
SpawnRequest Seed(long i) => new("t1", $"ticket-{i / 2}", "answer the ticket", ChildSessionKey: $"ticket-{i / 2}-s{i % 2}", Mode: SpawnMode.Session);

async Task LifecycleAsync(long i)
{
    var run = (await registry.SpawnAsync(Seed(i))).RunId!;
    if (mode == "together") await registry.AppendEventsAsync("t1", run, events);
    else foreach (var e in events) await registry.AppendEventAsync("t1", run, e);
    clock.Advance(TimeSpan.FromMilliseconds(mode == "memory" ? 1 : 100));
}

var count = int.Parse(countText);
if (mode == "call")
{
    var absent = Shard.NewRunId(new Shard(0), clock.GetUtcNow());
    for (var i = 0; i < 300; i++) await registry.GetRunAsync("t1", absent);
    Process.Start("callgrind_control", "--zero")!.WaitForExit();
    for (var i = 0; i < count; i++) await registry.GetRunAsync("t1", absent);
    Process.Start("callgrind_control", "--dump")!.WaitForExit();
    return 0;
}
if (mode == "sweep")
{
    for (var start = 0; start < count; start += 1000)
    {
        await Task.WhenAll(Enumerable.Range(start, Math.Min(1000, count - start)).Select(i =>
            registry.SpawnAsync(Seed(i))));
    }
    var options = new RegistryOptions();
    Process.Start("callgrind_control", "--zero")!.WaitForExit();
    clock.Advance(options.ContextIdleTimeout + TimeSpan.FromSeconds(1));
    var finalized = await registry.SweepAllAsync();
    Process.Start("callgrind_control", "--dump")!.WaitForExit();
    clock.Advance(options.LongestRetention);
    var removed = await registry.SweepAllAsync();
    Process.Start("callgrind_control", "--dump")!.WaitForExit();
    Console.WriteLine($"evictions: finalize {finalized.Sum(e => e.Count)}, remove {removed.Sum(e => e.Count)}");
    return 0;
}
if (mode == "memory")
{
    var server = redis.GetServers()[0];
    var before = Used();
    for (var i = 0; i < count; i++) await LifecycleAsync(i);
    var total = Used() - before;
    var byKind = new SortedDictionary<string, (int Keys, long Bytes)>(StringComparer.Ordinal);
    await foreach (var key in server.KeysAsync(pattern: "gw:*", pageSize: 1000))
    {
        // gw:{NN}:log:t1/ticket-7 -> log:, gw:{NN}:idx:live -> idx:live, gw:{NN}:idx:done:1764892800 -> idx:done:
        var name = ((string)key!)[8..];
        var at = name.StartsWith("idx:", StringComparison.Ordinal) ? name.IndexOf(':', 4) : name.IndexOf(':');
        var kind = at < 0 ? name : name[..(at + 1)];
        var bytes = (long)(await redis.GetDatabase().ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0"));
        var (keys, sum) = byKind.GetValueOrDefault(kind);
        byKind[kind] = (keys + 1, sum + bytes);
    }
    foreach (var (kind, (keys, bytes)) in byKind) Console.WriteLine($"{kind,-12} {keys,8} keys {(double)bytes / count,8:F0} bytes per run");
    Console.WriteLine($"{"all",-12} {"",8}      {(double)total / count,8:F0} bytes per run (used_memory's growth, {count} runs)");
    return 0;

    long Used() => long.Parse(server.Info("memory").SelectMany(g => g).First(p => p.Key == "used_memory").Value);
}

for (var i = 0; i < 300; i++) await LifecycleAsync(i);
Process.Start("callgrind_control", "--zero")!.WaitForExit();
for (var i = 300; i < 300 + count; i++) await LifecycleAsync(i);
Process.Start("callgrind_control", "--dump")!.WaitForExit();
return 0;
