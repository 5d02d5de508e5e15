using Gateway.Registry;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Registry;

/// <summary>
/// A log entry that follows one of the same run leaves its run out in Redis (prelude.lua's push_log); a reader
/// must still see every entry name the run that wrote it, read from any cursor, in pages of any size, across
/// trims, interleaved runs, aborts, and completions a sweep appends in bulk.
/// </summary>
public sealed class SessionLogTests(RedisServer redis) : IClassFixture<RedisServer>
{
    // a log short enough that every append trims it, and one that never trims in this test
    [Theory]
    [InlineData(1, 6)]
    [InlineData(2, 6)]
    [InlineData(3, 1000)]
    [InlineData(4, 1000)]
    public async Task Every_entry_names_its_run_from_any_cursor_whatever_the_interleaving_and_trims(int seed, int logLength)
    {
        await using var h = await RegistryHarness.CreateAsync(redis, new RegistryOptions { SessionLogMaxLength = logLength });
        var random = new Random(seed);
        var written = new List<(string Run, string What)>();
        var live = new Dictionary<string, long>(); // run -> last seq
        async Task SpawnAsync() => live[await h.SpawnAsync("s")] = 0;
        async Task EventAsync(string run, string kind)
        {
            var seq = ++live[run];
            Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", run, new RunEvent(kind, seq, $"d{seq}"))).Outcome);
            written.Add((run, $"{kind} d{seq}"));
        }

        for (var i = 0; i < 3; i++) await SpawnAsync();
        for (var step = 0; step < 60; step++)
        {
            var run = live.Keys.ElementAt(random.Next(live.Count));
            switch (random.Next(10))
            {
                case < 6:
                    await EventAsync(run, "assistant");
                    break;
                case 6:
                    await EventAsync(run, "end");
                    written.Add((run, "completion"));
                    live.Remove(run);
                    await SpawnAsync();
                    break;
                case 7:
                    Assert.Equal(AbortOutcome.Aborted, (await h.Registry.AbortRunAsync("t1", run)).Outcome);
                    written.Add((run, "completion"));
                    live.Remove(run);
                    await SpawnAsync();
                    break;
                default:
                    // every run but this one stays active; a sweep then ends it idle, appending its completion in bulk
                    foreach (var any in live.Keys.ToList()) await EventAsync(any, "assistant");
                    var others = live.Keys.Where(r => r != run).ToList();
                    h.Clock.Advance(h.Options.ContextIdleTimeout - TimeSpan.FromSeconds(1));
                    foreach (var other in others) await EventAsync(other, "assistant");
                    h.Clock.Advance(TimeSpan.FromSeconds(2));
                    await h.Registry.SweepAllAsync();
                    written.Add((run, "completion"));
                    live.Remove(run);
                    await SpawnAsync();
                    break;
            }

            var log = await h.Registry.ReadEventsAsync("t1", "s", null, count: 1000);
            Assert.Equal(written.TakeLast(logLength), log.Select(Entry));
            for (var from = Math.Max(log.Count - 8, 0); from < log.Count; from++)
            {
                foreach (var page in new[] { 1, 2, 6 })
                {
                    var read = await h.Registry.ReadEventsAsync("t1", "s", log[from].Id, count: page);
                    Assert.Equal(log.Skip(from + 1).Take(page).Select(Entry), read.Select(Entry));
                }
            }
        }
    }

    // SessionLogLayout stores the common kinds as one digit each, any other as it is
    [Fact]
    public async Task Every_kind_reads_back_as_it_was_written_coded_or_not()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var run = await h.SpawnAsync("kinds");
        string[] kinds = ["start", "assistant", "tool", "thinking", "x", "tool.call_2", "error", "assistant"];
        for (var i = 0; i < kinds.Length; i++)
        {
            var data = kinds[i] == "start" ? "" : $"{{\"text\":\"part {i} of it\"}}";
            Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", run, new RunEvent(kinds[i], i + 1, data))).Outcome);
        }
        Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", run, new RunEvent("end", kinds.Length + 1))).Outcome);

        var log = await h.Registry.ReadEventsAsync("t1", "kinds", null);

        Assert.Equal([.. kinds, "end"], log.Take(kinds.Length + 1).Select(e => e.Fields["kind"]));
        Assert.All(log.Take(kinds.Length + 1), e => Assert.Equal(("event", run), (e.Type, e.RunId)));
        Assert.Equal("{\"text\":\"part 3 of it\"}", log[3].Fields["data"]);
        var completion = Assert.Single(log, e => e.Type == SessionLogLayout.Completion);
        Assert.Equal(("ok", "completed", ""), (completion.Fields["status"], completion.Fields["reason"], completion.Fields["error"]));
    }

    // prelude.lua's header lists a session's first SESSION_RUNS (8) runs; the rest are in its spill (ses:)
    [Fact]
    public async Task A_session_of_more_runs_than_its_header_lists_keeps_every_one_listed_abortable_and_its_log_until_the_last()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var spawned = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            spawned.Add(await h.SpawnAsync("many"));
            h.Clock.Advance(TimeSpan.FromMilliseconds(1));
        }
        async Task<List<string>> ListAsync(int limit = 100) =>
            (await h.Registry.ListSessionRunsAsync("t1", "many", limit)).Select(r => r.RunId).ToList();
        bool HasLogKeys() => redis.Keys().Any(k => k.ToString().EndsWith(":log:t1/many") || k.ToString().EndsWith(":ses:t1/many"));

        Assert.Equal(spawned, await ListAsync());
        Assert.Equal(spawned.Take(5), await ListAsync(5));
        Assert.Equal(spawned.Take(12), await ListAsync(12));

        // runs end one a second, header's and spill's interleaved; the last by aborting the whole session
        var order = spawned.OrderBy(_ => Random.Shared.Next()).ToList();
        foreach (var run in order.SkipLast(1))
        {
            Assert.Equal(AbortOutcome.Aborted, (await h.Registry.AbortRunAsync("t1", run)).Outcome);
            h.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal([order[^1]], await h.Registry.AbortSessionAsync("t1", "many"));
        Assert.Equal(spawned, await ListAsync());

        // each run goes at its own archive deadline; the log stays while any run is left, and goes with the last
        h.Clock.Advance(h.Options.RunArchiveAfterEnd - TimeSpan.FromSeconds(order.Count - 1));
        var left = spawned.ToList();
        foreach (var run in order)
        {
            await h.Registry.SweepAllAsync();
            left.Remove(run);
            Assert.Equal(left, await ListAsync());
            Assert.Equal(left.Count > 0, HasLogKeys());
            h.Clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(1, h.Evicted(Registries.SessionLogs, "cascade"));
    }

    private static (string Run, string What) Entry(SessionEvent e) =>
        (e.RunId, e.Type == "completion" ? "completion" : $"{e.Fields["kind"]} {e.Fields["data"]}");
}
