using Gateway.Registry;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Registry;

/// <summary>
/// With no sweep at all, writes retire the due entries of their own shard (Registry:RetirePerWrite), each at its
/// own deadline and counted by registry and reason as the sweep counts them; a budget that cuts off leaves the
/// rest for the next write or the sweeper; 0 turns it off. The probe is the emptiest write there is: aborting a
/// session with no runs, in the shard under test.
/// </summary>
public abstract class RetireOnWriteTests(IRedisStore redis)
{
    private const string Session = "agent:a";

    [Fact]
    public async Task With_no_sweep_the_due_entries_of_every_registry_are_retired_by_traffic_on_their_shard()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, new RegistryOptions { AbortedRetention = TimeSpan.FromMinutes(20) });
        var shard = ShardOf(h, Session);
        var withKey = await h.SpawnAsync(Session, idempotencyKey: "k1");
        await RetentionTests.Events(h, withKey, "start", "error");
        var listened = await h.SpawnAsync(Session);
        await RetentionTests.Events(h, listened, "start");
        Assert.Equal(RecipientsOutcome.Updated, (await h.Registry.UpdateRecipientsAsync("t1", listened, ["c1"], [])).Outcome);
        var aborted = await h.SpawnAsync(Session);
        Assert.Equal(AbortOutcome.Aborted, (await h.Registry.AbortRunAsync("t1", aborted)).Outcome);
        var finished = await h.SpawnAsync(Session, SpawnMode.Session);
        await RetentionTests.Events(h, finished, "start", "end");
        var expected = new Dictionary<(string, string), long>();

        // Past the pending error's grace: traffic on another shard retires nothing of this one.
        h.Clock.Advance(TimeSpan.FromSeconds(16));
        await h.Registry.AbortSessionAsync("t1", SessionIn(h, shard, other: true));
        Assert.Equal(expected, h.Evictions.Tally());
        Assert.Equal(1, (await h.Registry.SnapshotAsync())[Registries.PendingErrors].Entries);

        await ProbeAsync(h, shard);
        expected[(Registries.PendingErrors, "finalized")] = 1;
        expected[(Registries.RunContexts, "finalized")] = 1;
        Assert.Equal(expected, h.Evictions.Tally());
        var failed = await h.RunAsync(withKey);
        Assert.Equal((RunStatus.Error, h.Clock.GetUtcNow() - TimeSpan.FromSeconds(1)), (failed.Status, failed.EndedAt));

        // 5 min: the idempotency key and the session-mode run archived after its cleanup (its tombstone stays).
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        await ProbeAsync(h, shard);
        expected[(Registries.DedupeKeys, "ttl")] = 1;
        expected[(Registries.Runs, "ttl")] = 1;
        Assert.Equal(expected, h.Evictions.Tally());
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", finished)).Outcome);

        // 10 min: the tool-event recipients; 20 min: the abort marker; 30 min: the idle run's context.
        h.Clock.Advance(TimeSpan.FromMinutes(5));
        await ProbeAsync(h, shard);
        expected[(Registries.ToolRecipients, "ttl")] = 1;
        Assert.Equal(expected, h.Evictions.Tally());
        h.Clock.Advance(TimeSpan.FromMinutes(10));
        await ProbeAsync(h, shard);
        expected[(Registries.AbortedRuns, "ttl")] = 1;
        Assert.Equal(expected, h.Evictions.Tally());
        h.Clock.Advance(TimeSpan.FromMinutes(10));
        await ProbeAsync(h, shard);
        expected[(Registries.RunContexts, "finalized")] = 2;
        Assert.Equal(expected, h.Evictions.Tally());
        var idle = await h.RunAsync(listened);
        Assert.Equal((RunStatus.Timeout, "idle"), (idle.Status, idle.EndedReason));

        // 1 h 5 min: the run-mode runs that ended by then are archived, and the first tombstone is due.
        h.Clock.Advance(TimeSpan.FromMinutes(35));
        await ProbeAsync(h, shard);
        expected[(Registries.Runs, "ttl")] = 3;
        expected[(Registries.Tombstones, "ttl")] = 1;
        Assert.Equal(expected, h.Evictions.Tally());

        // 1 h 30 min: the last run goes, and the session's log with it; then its tombstones.
        h.Clock.Advance(TimeSpan.FromMinutes(30));
        await ProbeAsync(h, shard);
        expected[(Registries.Runs, "ttl")] = 4;
        expected[(Registries.SessionLogs, "cascade")] = 1;
        Assert.Equal(expected, h.Evictions.Tally());
        h.Clock.Advance(TimeSpan.FromHours(1));
        await ProbeAsync(h, shard);
        expected[(Registries.Tombstones, "ttl")] = 4;
        Assert.Equal(expected, h.Evictions.Tally());
        Assert.All((await h.Registry.SnapshotAsync()).Registries, r => Assert.Equal(0, r.Entries));
    }

    [Fact]
    public async Task A_budget_that_cuts_off_leaves_the_rest_for_the_next_write_or_the_sweeper()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, new RegistryOptions { RetirePerWrite = 2 });
        var shard = ShardOf(h, Session);
        var runs = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var id = await h.SpawnAsync(Session, SpawnMode.Session);
            await RetentionTests.Events(h, id, "end");
            runs.Add(id);
            h.Clock.Advance(TimeSpan.FromSeconds(1)); // archived one second apart: the earliest go first
        }

        h.Clock.Advance(h.Options.SessionRunArchiveAfterCleanup);
        await ProbeAsync(h, shard);
        Assert.Equal([LookupOutcome.Gone, LookupOutcome.Gone, LookupOutcome.Found, LookupOutcome.Found, LookupOutcome.Found],
            await LookupsAsync(h, runs));
        await ProbeAsync(h, shard);
        Assert.Equal(4, h.Evicted(Registries.Runs, "ttl"));
        Assert.Equal(LookupOutcome.Found, (await h.Registry.GetRunAsync("t1", runs[4])).Outcome);

        await h.Registry.SweepAllAsync();
        Assert.All(await LookupsAsync(h, runs), l => Assert.Equal(LookupOutcome.Gone, l));
        Assert.Equal((5, 1), (h.Evicted(Registries.Runs, "ttl"), h.Evicted(Registries.SessionLogs, "cascade")));
    }

    [Fact]
    public async Task A_budget_of_0_leaves_retirement_to_the_sweeper()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, new RegistryOptions { RetirePerWrite = 0 });
        var id = await h.SpawnAsync(Session, SpawnMode.Session);
        await RetentionTests.Events(h, id, "end");
        h.Clock.Advance(h.Options.SessionRunArchiveAfterCleanup + TimeSpan.FromSeconds(1));

        await ProbeAsync(h, ShardOf(h, Session));
        Assert.Equal(1, (await h.Registry.SnapshotAsync())[Registries.Runs].Entries);
        await h.Registry.SweepAllAsync();
        Assert.Equal(1, h.Evicted(Registries.Runs, "ttl"));
    }

    private static int ShardOf(RegistryHarness h, string session) => Shard.ForSession("t1", session, h.Options.Shards).Number;

    /// <summary>A session of tenant t1 in the shard (or, if other, in another one) that holds no runs.</summary>
    private static string SessionIn(RegistryHarness h, int shard, bool other = false) =>
        Enumerable.Range(0, 1000).Select(i => $"agent:probe-{i}").First(s => ShardOf(h, s) == shard != other);

    private static async Task ProbeAsync(RegistryHarness h, int shard) =>
        Assert.Empty(await h.Registry.AbortSessionAsync("t1", SessionIn(h, shard)));

    private static async Task<LookupOutcome[]> LookupsAsync(RegistryHarness h, List<string> runs) =>
        await Task.WhenAll(runs.Select(async id => (await h.Registry.GetRunAsync("t1", id)).Outcome));
}

public sealed class RetireOnWriteTestsOnServer(RedisServer redis) : RetireOnWriteTests(redis), IClassFixture<RedisServer>;

public sealed class RetireOnWriteTestsOnCluster(RedisCluster redis) : RetireOnWriteTests(redis), IClassFixture<RedisCluster>;
