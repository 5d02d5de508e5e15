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

    [Fact]
    public async Task Waiters_hear_of_an_end_event_and_a_sweep_announces_a_whole_batch_in_one_message()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var ends = new RunEndSignals(h.Db.Multiplexer);
        var ended = await h.SpawnAsync();
        var idle = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => h.SpawnAsync()));
        var shard = Shard.ForSession("t1", "agent:main", h.Options.Shards);
        using var endedWatch = await ends.WatchAsync(shard, ended);
        var idleWatches = await Task.WhenAll(idle.Select(id => ends.WatchAsync(shard, id)));
        var messages = 0;
        await h.Db.Multiplexer.GetSubscriber().SubscribeAsync(RunEndSignals.Channel(shard), (_, _) => Interlocked.Increment(ref messages));

        await h.Registry.AppendEventAsync("t1", ended, new RunEvent("start", 1));
        Assert.False(endedWatch.Ended.IsCompleted);
        await h.Registry.AppendEventAsync("t1", ended, new RunEvent("end", 2));
        await endedWatch.Ended.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(idleWatches[0].Ended.IsCompleted);

        // every idle run's lease runs out at once: one sweep call finalizes them all and says so once
        h.Clock.Advance(h.Options.ContextIdleTimeout + TimeSpan.FromSeconds(1));
        await h.Registry.SweepShardAsync(shard.Number);
        await Task.WhenAll(idleWatches.Select(w => w.Ended)).WaitAsync(TimeSpan.FromSeconds(5));
        await Task.Delay(100);
        Assert.Equal(2, messages);
        foreach (var w in idleWatches) w.Dispose();
    }
}
