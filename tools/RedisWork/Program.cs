using System.Diagnostics;
using Gateway.Registry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

// Seed-shaped lifecycles (spawn, start, three assistant events, end) through RunRegistry, two runs per requester
// session. Default retention, fake clock, no sweep. mode:
// - "awaited" / "together", against a redis-server under callgrind (run.sh starts it): 300 of warm-up, then the
//   counters are zeroed, n lifecycles run, and the counters are dumped. awaited: each operation awaited (batches
//   of one); together: a lifecycle's events submitted at once, as runs.events does (one batch).
// - "memory": n lifecycles with every run held (1 ms apart: none is archived), then Redis bytes per run, in all
//   (used_memory's growth) and by kind of key (MEMORY USAGE of every key, by its name after the shard prefix).
if (args is not [var portText, var mode and ("awaited" or "together" or "memory"), var countText])
{
    Console.Error.WriteLine("usage: RedisWork <port> awaited|together|memory <lifecycles>");
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

async Task LifecycleAsync(long i)
{
    var run = (await registry.SpawnAsync(new SpawnRequest("t1", $"ticket-{i / 2}", "task", Mode: SpawnMode.Session))).RunId!;
    if (mode == "together") await registry.AppendEventsAsync("t1", run, events);
    else foreach (var e in events) await registry.AppendEventAsync("t1", run, e);
    clock.Advance(TimeSpan.FromMilliseconds(mode == "memory" ? 1 : 100));
}

var count = int.Parse(countText);
if (mode == "memory")
{
    var server = redis.GetServers()[0];
    var before = Used();
    for (var i = 0; i < count; i++) await LifecycleAsync(i);
    var total = Used() - before;
    var byKind = new SortedDictionary<string, (int Keys, long Bytes)>(StringComparer.Ordinal);
    await foreach (var key in server.KeysAsync(pattern: "gw:*", pageSize: 1000))
    {
        // gw:{NN}:log:t1/ticket-7 -> log:, gw:{NN}:idx:live -> idx:live
        var name = ((string)key!)[8..];
        var kind = name.Contains(':') && !name.StartsWith("idx:", StringComparison.Ordinal) ? name[..(name.IndexOf(':') + 1)] : name;
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
