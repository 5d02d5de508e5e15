using Gateway.Registry;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Registry;

/// <summary>
/// Every cap of Registry:MaxEntries (the runs cap is in InvariantTests): at a cap the entry due soonest goes,
/// counted as 'cap', and nothing else changes; a cap lowered by configuration is restored by the next sweep.
/// One shard, so a cap across all shards is the cap of that shard.
/// </summary>
public abstract class CapTests(IRedisStore redis)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private static RegistryOptions OneShard(Action<RegistryCaps> caps)
    {
        var options = new RegistryOptions { Shards = 1 };
        caps(options.MaxEntries);
        return options;
    }

    [Fact]
    public async Task At_the_dedupe_cap_the_oldest_idempotency_key_goes_and_its_run_stays()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, OneShard(c => c.DedupeKeys = 2));
        var first = await h.SpawnAsync(idempotencyKey: "k1");
        h.Clock.Advance(Tick);
        var second = await h.SpawnAsync(idempotencyKey: "k2");
        h.Clock.Advance(Tick);
        await h.SpawnAsync(idempotencyKey: "k3");

        Assert.Equal(1, h.Evicted(Registries.DedupeKeys, "cap"));
        Assert.Equal(2, (await h.Registry.SnapshotAsync())[Registries.DedupeKeys].Entries);
        // k2 is still remembered, k1 is forgotten (a new run); the first run itself is untouched
        Assert.Equal(new SpawnResult(SpawnOutcome.Duplicate, second),
            await h.Registry.SpawnAsync(new SpawnRequest("t1", "agent:main", "task", IdempotencyKey: "k2")));
        Assert.NotEqual(first, await h.SpawnAsync(idempotencyKey: "k1"));
        Assert.Equal(RunStatus.Pending, (await h.RunAsync(first)).Status);
    }

    [Fact]
    public async Task A_run_pushed_out_at_the_runs_cap_takes_its_idempotency_key_and_tombstones_beyond_their_cap_go()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, OneShard(c => (c.Runs, c.Tombstones) = (1, 1)));
        var first = await h.SpawnAsync(idempotencyKey: "k1");
        await RetentionTests.Events(h, first, "end");
        h.Clock.Advance(Tick);                           // (tombstones of one instant go in id order, not time order)
        var second = await h.SpawnAsync("other");        // pushes `first` out: its key goes with it (cascade)
        await RetentionTests.Events(h, second, "end");
        h.Clock.Advance(Tick);
        var third = await h.SpawnAsync("third");         // pushes `second` out: one tombstone only (its cap)
        await RetentionTests.Events(h, third, "end");

        Assert.Equal(1, h.Evicted(Registries.DedupeKeys, "cascade"));
        Assert.Equal(1, h.Evicted(Registries.Tombstones, "cap"));
        Assert.Equal(LookupOutcome.NotFound, (await h.Registry.GetRunAsync("t1", first)).Outcome);
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", second)).Outcome);
        // the key names no removed run: it spawns anew
        var again = await h.Registry.SpawnAsync(new SpawnRequest("t1", "agent:main", "task", IdempotencyKey: "k1"));
        Assert.Equal(SpawnOutcome.Created, again.Outcome);
    }

    [Fact]
    public async Task At_the_session_log_cap_the_log_due_soonest_goes_with_its_run_list_and_the_runs_stay()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, OneShard(c => c.SessionLogs = 2));
        // a session's log lives as long as its runs could: the shortest run timeout makes the log due soonest
        var soon = await h.SpawnAsync("s-soon", timeoutSeconds: 60);
        await RetentionTests.Events(h, soon, "start");
        var later = await h.SpawnAsync("s-later", timeoutSeconds: 600);
        await RetentionTests.Events(h, later, "start");

        var third = await h.SpawnAsync("s-third", timeoutSeconds: 600);

        Assert.Equal(1, h.Evicted(Registries.SessionLogs, "cap"));
        Assert.Equal(2, (await h.Registry.SnapshotAsync())[Registries.SessionLogs].Entries);
        Assert.Empty(await h.Registry.ReadEventsAsync("t1", "s-soon", null));
        Assert.Empty(await h.Registry.ListSessionRunsAsync("t1", "s-soon"));
        Assert.Single(await h.Registry.ReadEventsAsync("t1", "s-later", null));
        Assert.Equal(RunStatus.Running, (await h.RunAsync(soon)).Status);
        Assert.Equal(RunStatus.Pending, (await h.RunAsync(third)).Status);
    }

    [Fact]
    public async Task At_the_tombstone_cap_the_oldest_tombstone_goes_and_its_run_is_then_unknown()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, OneShard(c => c.Tombstones = 2));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = await h.SpawnAsync($"s{i}", SpawnMode.Session);
            await RetentionTests.Events(h, id, "end");
            ids.Add(id);
            h.Clock.Advance(Tick);
        }
        h.Clock.Advance(h.Options.SessionRunArchiveAfterCleanup);
        await h.Registry.SweepAllAsync();

        Assert.Equal(3, h.Evicted(Registries.Runs, "ttl"));
        Assert.Equal(1, h.Evicted(Registries.Tombstones, "cap"));
        Assert.Equal(2, (await h.Registry.SnapshotAsync())[Registries.Tombstones].Entries);
        Assert.Equal(LookupOutcome.NotFound, (await h.Registry.GetRunAsync("t1", ids[0])).Outcome);
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", ids[1])).Outcome);
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", ids[2])).Outcome);
    }

    [Fact]
    public async Task At_the_aborted_runs_cap_the_oldest_abort_marker_goes_and_the_runs_stay_aborted()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, OneShard(c => c.AbortedRuns = 2));
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var id = await h.SpawnAsync();
            Assert.Equal(AbortOutcome.Aborted, (await h.Registry.AbortRunAsync("t1", id)).Outcome);
            ids.Add(id);
            h.Clock.Advance(Tick);
        }

        Assert.Equal(1, h.Evicted(Registries.AbortedRuns, "cap"));
        Assert.Equal(2, (await h.Registry.SnapshotAsync())[Registries.AbortedRuns].Entries);
        foreach (var id in ids) Assert.Equal(RunStatus.Aborted, (await h.RunAsync(id)).Status);
    }

    [Fact]
    public async Task At_the_recipients_cap_an_update_that_would_pass_it_is_refused_and_changes_nothing()
    {
        await using var h = await RegistryHarness.CreateAsync(redis, OneShard(c => c.RecipientsPerRun = 2));
        var id = await h.SpawnAsync();
        Assert.Equal(RecipientsOutcome.Updated, (await h.Registry.UpdateRecipientsAsync("t1", id, ["c1", "c2"], [])).Outcome);

        Assert.Equal(RecipientsOutcome.Full, (await h.Registry.UpdateRecipientsAsync("t1", id, ["c3"], [])).Outcome);
        Assert.Equal(["c1", "c2"], await h.Registry.GetRecipientsAsync("t1", id));
        // removes apply before adds: a swap stays within the cap
        Assert.Equal(["c1", "c3"], (await h.Registry.UpdateRecipientsAsync("t1", id, ["c3"], ["c2"])).Recipients);
    }

    [Fact]
    public async Task Caps_lowered_by_configuration_are_restored_by_the_next_sweep()
    {
        var wide = new RegistryOptions { Shards = 1 };
        await using (var h = await RegistryHarness.CreateAsync(redis, wide))
        {
            for (var i = 0; i < 4; i++)
            {
                var id = await h.SpawnAsync($"s{i}", SpawnMode.Session);
                await RetentionTests.Events(h, id, "end");     // 4 finished runs, 4 session logs
                var aborted = await h.SpawnAsync($"a{i}");
                await h.Registry.AbortRunAsync("t1", aborted);  // 4 abort markers (and 4 more finished runs)
            }
        }

        // 8 finished runs: the 4 session-mode ones are due first (5 min archive), then the aborted run-mode ones
        var narrow = OneShard(c => (c.Runs, c.AbortedRuns, c.SessionLogs) = (3, 2, 2));
        await using var after = await RegistryHarness.CreateAsync(redis, narrow, flush: false);
        await after.Registry.SweepAllAsync();

        var snapshot = await after.Registry.SnapshotAsync();
        Assert.Equal((3L, 2L, 2L, 5L), (snapshot[Registries.Runs].Entries, snapshot[Registries.AbortedRuns].Entries,
            snapshot[Registries.SessionLogs].Entries, snapshot[Registries.Tombstones].Entries));
        Assert.Equal(new Dictionary<(string, string), long>
        {
            [(Registries.Runs, "cap")] = 5,                 // down to the cap, due soonest first
            [(Registries.AbortedRuns, "cascade")] = 1,      // with the one aborted run removed
            [(Registries.AbortedRuns, "cap")] = 1,          // 3 left, cap 2
            [(Registries.SessionLogs, "cascade")] = 5,     // each removed run's session had only it
            [(Registries.SessionLogs, "cap")] = 1,         // 3 left, cap 2
        }, after.Evictions.Tally());
    }
}

public sealed class CapTestsOnServer(RedisServer redis) : CapTests(redis), IClassFixture<RedisServer>;

public sealed class CapTestsOnCluster(RedisCluster redis) : CapTests(redis), IClassFixture<RedisCluster>;
