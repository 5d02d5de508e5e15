using System.Diagnostics;
using Gateway.Registry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

// Seed-shaped lifecycles (spawn, start, three assistant events, end) through RunRegistry against a redis-server
// that runs under callgrind (run.sh starts it): 300 of warm-up, then the counters are zeroed, n lifecycles run,
// and the counters are dumped. mode: "awaited" (each operation awaited: batches of one) or "together" (a
// lifecycle's events submitted at once, as runs.events does: one batch). Default retention, fake clock, no sweep.
if (args is not [var portText, var mode and ("awaited" or "together"), var countText])
{
    Console.Error.WriteLine("usage: RedisWork <port> awaited|together <lifecycles>");
    return 2;
}
var redis = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{portText},syncTimeout=60000,asyncTimeout=60000");
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
    clock.Advance(TimeSpan.FromMilliseconds(100));
}

for (var i = 0; i < 300; i++) await LifecycleAsync(i);
Process.Start("callgrind_control", "--zero")!.WaitForExit();
var count = int.Parse(countText);
for (var i = 300; i < 300 + count; i++) await LifecycleAsync(i);
Process.Start("callgrind_control", "--dump")!.WaitForExit();
return 0;
