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

    [Fact]
    public async Task A_completion_error_with_spaces_and_entries_of_the_earlier_stream_layout_read_back_whole()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        await h.Registry.AppendEventAsync("t1", id, new RunEvent("start", 1));
        await h.Registry.AppendEventAsync("t1", id, new RunEvent("error", 2, "model overloaded: try later"));
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await h.Registry.SweepAllAsync();
        // an entry as the gateway wrote it before entries were compacted (type, run and the fields by name)
        var stream = Shard.ForSession("t1", "agent:main", h.Options.Shards).Key("evt:t1/agent:main");
        await h.Db.StreamAddAsync(stream, [new("type", "completion"), new("run", id), new("status", "ok"), new("reason", "completed"), new("error", "")]);

        var events = await h.Registry.ReadEventsAsync("t1", "agent:main", null);
        Assert.Equal(["event", "event", "completion", "completion"], events.Select(e => e.Type));
        Assert.Equal(("error", "error", "model overloaded: try later"), (events[2].Fields["status"], events[2].Fields["reason"], events[2].Fields["error"]));
        Assert.Equal(("ok", "completed", id), (events[3].Fields["status"], events[3].Fields["reason"], events[3].RunId));
        Assert.Equal("model overloaded: try later", events[1].Fields["data"]);
    }
}
