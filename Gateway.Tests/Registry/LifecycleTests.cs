using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.Registry;

public abstract class LifecycleTests(IRedisStore redis)
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
    public async Task A_runs_events_in_one_request_are_each_answered_as_alone_and_logged_under_the_ids_they_were_given()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        var before = h.Batches.GetMeasurementSnapshot().Count;

        var results = await h.Registry.AppendEventsAsync("t1", id, [new RunEvent("start", 1), new RunEvent("assistant", 2, "a"),
            new RunEvent("assistant", 2, "again"), new RunEvent("assistant", 4, "early"), new RunEvent("assistant", 3, "b"),
            new RunEvent("end", 4), new RunEvent("assistant", 5, "late")]);

        Assert.Equal([(EventOutcome.Accepted, 1L, (RunStatus?)null), (EventOutcome.Accepted, 2, null), (EventOutcome.Duplicate, 2, null),
            (EventOutcome.Gap, 2, null), (EventOutcome.Accepted, 3, null), (EventOutcome.Accepted, 4, null), (EventOutcome.Finished, 0, RunStatus.Ok)],
            results.Select(r => (r.Outcome, r.LastSeq, r.Status)));
        Assert.Single(h.Batches.GetMeasurementSnapshot().Skip(before)); // one operation, one call
        var log = await h.Registry.ReadEventsAsync("t1", "agent:main", null);
        Assert.Equal(5, log.Count);
        Assert.Equal(["1", "2", "3", "4"], log.Take(4).Select(e => e.Fields["seq"]));
        Assert.Equal(results.Where(r => r.Outcome == EventOutcome.Accepted).Select(r => r.EntryId), log.Take(4).Select(e => e.Id));
        Assert.Equal(("completion", "ok"), (log[^1].Type, log[^1].Fields["status"]));
        Assert.Equal((RunStatus.Ok, 4L), ((await h.RunAsync(id)).Status, (await h.RunAsync(id)).LastSeq));
    }

    [Fact]
    public async Task A_completion_error_and_event_data_with_spaces_read_back_whole()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        await h.Registry.AppendEventAsync("t1", id, new RunEvent("start", 1));
        await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", 2, """{"text": "a b  c"}"""));
        await h.Registry.AppendEventAsync("t1", id, new RunEvent("error", 3, "model overloaded: try later"));
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await h.Registry.SweepAllAsync();

        var events = await h.Registry.ReadEventsAsync("t1", "agent:main", null);
        Assert.Equal(["event", "event", "event", "completion"], events.Select(e => e.Type));
        Assert.Equal(("", "start", "1"), (events[0].Fields["data"], events[0].Fields["kind"], events[0].Fields["seq"]));
        Assert.Equal("""{"text": "a b  c"}""", events[1].Fields["data"]);
        Assert.Equal("model overloaded: try later", events[2].Fields["data"]);
        Assert.Equal(("error", "error", "model overloaded: try later", id),
            (events[3].Fields["status"], events[3].Fields["reason"], events[3].Fields["error"], events[3].RunId));
    }

    [Fact]
    public async Task A_session_log_keeps_its_newest_entries_and_a_cursor_resumes_across_a_trim()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, new RegistryOptions { SessionLogMaxLength = 5 });
        var id = await h.SpawnAsync();
        var ids = new List<string>();
        for (var seq = 1; seq <= 8; seq++)
        {
            ids.Add((await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", seq, $"{seq}"))).EntryId!);
        }

        var events = await h.Registry.ReadEventsAsync("t1", "agent:main", null);
        Assert.Equal(["4", "5", "6", "7", "8"], events.Select(e => e.Fields["data"]));
        Assert.Equal(ids[3..], events.Select(e => e.Id)); // ids do not move when older entries go
        Assert.Equal(["7", "8"], (await h.Registry.ReadEventsAsync("t1", "agent:main", ids[5])).Select(e => e.Fields["data"]));
        // a cursor at an entry already trimmed away reads what is left; one at the last entry reads nothing
        Assert.Equal(5, (await h.Registry.ReadEventsAsync("t1", "agent:main", ids[0])).Count);
        Assert.Empty(await h.Registry.ReadEventsAsync("t1", "agent:main", ids[^1]));
        Assert.Equal(["5", "6"], (await h.Registry.ReadEventsAsync("t1", "agent:main", ids[3], count: 2)).Select(e => e.Fields["data"]));

        // the end and the completion it brings trim too, and the numbering goes on
        await h.Registry.AppendEventAsync("t1", id, new RunEvent("end", 9));
        var last = await h.Registry.ReadEventsAsync("t1", "agent:main", null);
        Assert.Equal(["6", "7", "8", "", "completion"], last.Select(e => e.Type == "completion" ? "completion" : e.Fields["data"]));
        Assert.Equal(ids[5..].Append(Next(ids[^1], 1)).Append(Next(ids[^1], 2)), last.Select(e => e.Id));
        Assert.Equal([last[^1].Id], (await h.Registry.ReadEventsAsync("t1", "agent:main", last[^2].Id)).Select(e => e.Id));

        static string Next(string id, int by) => $"{id.Split('-')[0]}-{long.Parse(id.Split('-')[1]) + by}";
    }

    [Fact]
    public async Task A_seq_past_what_a_lua_number_prints_whole_is_logged_digit_for_digit()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        // a run far into its sequence (Lua prints numbers with 14 significant digits): its record's seq set in place
        Assert.True(Shard.TryFromRunId(id, h.Options.Shards, out var shard));
        await h.Db.ScriptEvaluateAsync(
            "local r = { cmsgpack.unpack(redis.call('HGET', KEYS[1], ARGV[1])) }; r[tonumber(ARGV[2])] = ARGV[3]; " +
            "return redis.call('HSET', KEYS[1], ARGV[1], cmsgpack.pack(unpack(r, 1, table.maxn(r))))",
            [shard.Key(RunRecordLayout.Key)], [id, RunRecordLayout.Fields.ToList().IndexOf("seq") + 1, "999999999999999"]);
        Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", 1_000_000_000_000_000, "x"))).Outcome);

        var logged = Assert.Single(await h.Registry.ReadEventsAsync("t1", "agent:main", null));
        Assert.Equal("1000000000000000", logged.Fields["seq"]);
    }

    // RunRecordLayout.Coded: records written before their values were coded hold them as strings
    [Fact]
    public async Task A_record_that_spells_its_coded_values_out_reads_back_the_same()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", id, new RunEvent("end", 1))).Outcome);
        var coded = (await h.Registry.GetRunAsync("t1", id)).Run;
        Assert.True(Shard.TryFromRunId(id, h.Options.Shards, out var shard));
        // every coded value of the record replaced by its name
        var spelled = RunRecordLayout.Coded.SelectMany(c => new RedisValue[] { RunRecordLayout.Fields.ToList().IndexOf(c.Key) + 1, string.Join(' ', c.Value) });
        var replaced = await h.Db.ScriptEvaluateAsync(
            "local r, n = { cmsgpack.unpack(redis.call('HGET', KEYS[1], ARGV[1])) }, 0; " +
            "for i = 2, #ARGV, 2 do local at, names = tonumber(ARGV[i]), {} " +
            "  for name in string.gmatch(ARGV[i + 1], '%S+') do names[#names + 1] = name end " +
            "  if type(r[at]) == 'number' then r[at] = names[r[at]]; n = n + 1 end end " +
            "redis.call('HSET', KEYS[1], ARGV[1], cmsgpack.pack(unpack(r, 1, table.maxn(r)))); return n",
            [shard.Key(RunRecordLayout.Key)], [id, .. spelled]);
        Assert.Equal(4, (int)replaced);

        Assert.Equal(coded, (await h.Registry.GetRunAsync("t1", id)).Run);
    }

    [Fact]
    public async Task A_sweep_that_ends_more_runs_of_a_session_than_its_log_holds_keeps_the_newest_in_order()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, new RegistryOptions { SessionLogMaxLength = 3 });
        var runs = new List<string>();
        for (var i = 0; i < 5; i++) runs.Add(await h.SpawnAsync("s"));
        h.Clock.Advance(h.Options.ContextIdleTimeout + TimeSpan.FromSeconds(1));
        await h.Registry.SweepAllAsync(); // one batch: five completions for a session that has no log yet

        var events = await h.Registry.ReadEventsAsync("t1", "s", null);
        Assert.All(events, e => Assert.Equal("completion", e.Type));
        Assert.Equal(runs.Order().TakeLast(3), events.Select(e => e.RunId).Order());
        Assert.Equal(["3", "4", "5"], events.Select(e => e.Id.Split('-')[1]));

        var later = await h.SpawnAsync("s");
        var accepted = await h.Registry.AppendEventAsync("t1", later, new RunEvent("start", 1));
        Assert.Equal($"{events[0].Id.Split('-')[0]}-6", accepted.EntryId);
        Assert.Equal([later], (await h.Registry.ReadEventsAsync("t1", "s", events[^1].Id)).Select(e => e.RunId));
    }

    [Fact]
    public async Task A_cursor_from_a_removed_log_reads_the_sessions_new_log_from_its_start()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var first = await h.SpawnAsync("s", SpawnMode.Session);
        await h.Registry.AppendEventAsync("t1", first, new RunEvent("start", 1));
        var cursor = (await h.Registry.AppendEventAsync("t1", first, new RunEvent("end", 2))).EntryId!;
        h.Clock.Advance(TimeSpan.FromMinutes(10));
        await h.Registry.SweepAllAsync(); // the run, and its session's log with it, are gone

        var second = await h.SpawnAsync("s", SpawnMode.Session);
        await h.Registry.AppendEventAsync("t1", second, new RunEvent("start", 1));
        var events = await h.Registry.ReadEventsAsync("t1", "s", cursor);
        Assert.Equal([second], events.Select(e => e.RunId));
        Assert.NotEqual(cursor.Split('-')[0], events[0].Id.Split('-')[0]);
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
        var (messages, marked) = (0, false);
        var subscriber = h.Db.Multiplexer.GetSubscriber();
        await subscriber.SubscribeAsync(RunEndSignals.Channel(shard), (_, message) =>
        {
            if (message == "marker") marked = true;
            else Interlocked.Increment(ref messages);
        });

        await h.Registry.AppendEventAsync("t1", ended, new RunEvent("start", 1));
        Assert.False(endedWatch.Ended.IsCompleted);
        await h.Registry.AppendEventAsync("t1", ended, new RunEvent("end", 2));
        await endedWatch.Ended.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(idleWatches[0].Ended.IsCompleted);

        // every idle run's lease runs out at once: one sweep call finalizes them all and says so once
        h.Clock.Advance(h.Options.ContextIdleTimeout + TimeSpan.FromSeconds(1));
        await h.Registry.SweepShardAsync(shard.Number);
        await Task.WhenAll(idleWatches.Select(w => w.Ended)).WaitAsync(TimeSpan.FromSeconds(5));
        // Messages on a channel arrive in the order Redis published them: once a marker published after the
        // sweep has come, every message of the scripts before it has too.
        await subscriber.PublishAsync(RunEndSignals.Channel(shard), "marker");
        await Eventually.TrueAsync(() => Volatile.Read(ref marked), "the marker published after the sweep");
        Assert.Equal(2, messages);
        foreach (var w in idleWatches) w.Dispose();
    }
}

public sealed class LifecycleTestsOnServer(RedisServer redis) : LifecycleTests(redis), IClassFixture<RedisServer>;

public sealed class LifecycleTestsOnCluster(RedisCluster redis) : LifecycleTests(redis), IClassFixture<RedisCluster>;
