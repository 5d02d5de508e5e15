using Gateway.Registry;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Registry;

public sealed class LifecycleTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task A_run_that_starts_and_ends_is_ok_and_announced_once()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", id, new RunEvent("start", 1))).Outcome);
        Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", 2, "hi"))).Outcome);
        Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", id, new RunEvent("end", 3))).Outcome);

        var run = await h.RunAsync(id);
        Assert.Equal(RunStatus.Ok, run.Status);
        Assert.Equal(3, run.LastSeq);
        var events = await h.Registry.ReadEventsAsync("t1", "agent:main", null);
        Assert.Equal(["event", "event", "event", "completion"], events.Select(e => e.Type));
        Assert.Equal("ok", events[^1].Fields["status"]);
    }
}
