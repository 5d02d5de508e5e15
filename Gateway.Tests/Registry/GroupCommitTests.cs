using Gateway.Registry;
using Gateway.Tests.Api;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Registry;

/// <summary>
/// Group commit (<see cref="GroupCommit"/>): operations submitted together to one shard reach Redis in fewer
/// script calls than operations, in submission order, each answered as it would be alone; the operations
/// waiting for a shard are bounded, and past the bound a submit is refused with nothing stored.
/// (The model-based tests check batches against the model; this checks the mechanism's own promises.)
/// </summary>
public sealed class GroupCommitTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task A_runs_events_submitted_without_awaiting_are_applied_in_order_in_fewer_calls_each_answered_alone()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var run = await h.SpawnAsync();
        var before = h.Batches.GetMeasurementSnapshot().Count;

        // 200 events, the last an end, then one more: all submitted before any is answered
        var events = Enumerable.Range(1, 200).Select(seq => new RunEvent(seq == 200 ? "end" : "assistant", seq, $"part {seq}"))
            .Append(new RunEvent("assistant", 201, "late")).ToList();
        var results = await Task.WhenAll(events.Select(e => h.Registry.AppendEventAsync("t1", run, e)));
        var calls = h.Batches.GetMeasurementSnapshot().Skip(before).ToList();

        Assert.All(results.Take(200), (r, i) => Assert.Equal((EventOutcome.Accepted, (long)i + 1), (r.Outcome, r.LastSeq)));
        Assert.Equal((EventOutcome.Finished, RunStatus.Ok), (results[200].Outcome, results[200].Status));
        var log = await h.Registry.ReadEventsAsync("t1", "agent:main", null, 1000);
        Assert.Equal(Enumerable.Range(1, 199).Select(i => $"part {i}"), log.Take(199).Select(e => e.Fields["data"]));
        Assert.Equal("completion", log[^1].Type);

        Assert.Equal(201, calls.Sum(m => m.Value));
        Assert.True(calls.Count < 201, $"201 operations took {calls.Count} calls");
        Assert.All(calls, m => Assert.InRange(m.Value, 1, GroupCommit.MaxBatch));
    }

    [Fact]
    public async Task Redis_full_refuses_each_write_as_full_and_answers_the_reads_even_when_a_due_hint_was_stale()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var run = await h.SpawnAsync();
        // recipients added then removed leave their index's due hint low, with nothing due: the next write's
        // retirement finds the hint stale and would store the right one, a write Redis refuses when full
        await h.Registry.UpdateRecipientsAsync("t1", run, ["c1"], []);
        await h.Registry.UpdateRecipientsAsync("t1", run, [], ["c1"]);
        h.Clock.Advance(h.Options.RecipientsIdle + TimeSpan.FromMinutes(1));
        var before = await RedisFingerprint.OfAsync(redis);

        await redis.Admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "maxmemory", "1");
        try
        {
            var write = h.Registry.AppendEventAsync("t1", run, new RunEvent("start", 1));
            var read = h.Registry.GetRunAsync("t1", run);
            Assert.StartsWith("OOM", (await Assert.ThrowsAsync<StackExchange.Redis.RedisServerException>(() => write)).Message);
            Assert.Equal(RunStatus.Pending, (await read).Run!.Status);
        }
        finally
        {
            await redis.Admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "maxmemory", "0");
        }
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
    }

    [Fact]
    public async Task Redis_full_refuses_every_read_of_a_run_past_its_deadline_alike_when_they_share_a_batch()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var run = await h.SpawnAsync();
        h.Clock.Advance(h.Options.ContextIdleTimeout + TimeSpan.FromSeconds(1));
        var before = await RedisFingerprint.OfAsync(redis);

        await redis.Admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "maxmemory", "1");
        try
        {
            // Redis holds every client a moment: the first read is in flight, the two after it wait and go together.
            // A read that would end the run (lazy expiry) is a write Redis refuses when full; the second of the batch
            // must not answer the run as ended from what the first changed and Redis never stored.
            await redis.Admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "500", "ALL");
            var reads = Enumerable.Range(0, 3).Select(_ => h.Registry.GetRunAsync("t1", run)).ToList();
            foreach (var read in reads)
                Assert.StartsWith("OOM", (await Assert.ThrowsAsync<StackExchange.Redis.RedisServerException>(() => read)).Message);
        }
        finally
        {
            await redis.Admin.GetDatabase().ExecuteAsync("CONFIG", "SET", "maxmemory", "0");
        }
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
        Assert.Equal(RunStatus.Timeout, (await h.Registry.GetRunAsync("t1", run)).Run!.Status);
    }

    [Fact]
    public async Task Past_the_waiting_bound_a_submit_is_refused_and_the_waiting_ones_are_answered_once_Redis_is_back()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var run = await h.SpawnAsync();
        var shard = Shard.TryFromRunId(run, h.Options.Shards, out var s) ? s : throw new InvalidOperationException();

        // Redis holds every client for 2 s: the first read is in flight, the next MaxWaiting wait behind it.
        await redis.Admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "2000", "ALL");
        var waiting = Enumerable.Range(0, GroupCommit.MaxWaiting + 1).Select(_ => h.Registry.GetRunAsync("t1", run)).ToList();
        var refused = await Assert.ThrowsAsync<RegistryOverloadedException>(() => h.Registry.AppendEventAsync("t1", run, new RunEvent("start", 1, "")));
        Assert.Contains($"shard {shard.Number}", refused.Message);

        var lookups = await Task.WhenAll(waiting);
        Assert.All(lookups, l => Assert.Equal((LookupOutcome.Found, 0L), (l.Outcome, l.Run!.LastSeq)));
        // the refused event stored nothing: seq 1 is still the next one
        Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", run, new RunEvent("start", 1, ""))).Outcome);
    }
}
