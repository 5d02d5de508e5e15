using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.Registry;

/// <summary>The properties that make the registries bounded by construction.</summary>
public abstract class InvariantTests(IRedisStore redis)
{
    [Fact]
    public async Task The_seeds_batch_leaves_zero_keys_once_past_the_longest_retention()
    {
        // The seed's shape: each ticket spawns two session-mode runs; some error with no end, some never end.
        await using var h = await RegistryHarness.CreateAsync(redis);
        for (var ticket = 0; ticket < 100; ticket++)
        {
            foreach (var role in new[] { "knowledge-extractor", "qa-reviewer" })
            {
                var id = await h.SpawnAsync($"ticket:{ticket}", SpawnMode.Session, idempotencyKey: role);
                await h.Registry.UpdateRecipientsAsync("t1", id, ["ui"], []);
                var shape = (ticket * 2 + (role == "qa-reviewer" ? 1 : 0)) % 10;
                string[] events = shape switch
                {
                    0 => ["start", "error"],            // error, no end: seed leak 3
                    1 => ["start"],                      // nothing after start: seed leak 2
                    _ => ["start", "assistant", "end"], // the happy path, session mode: seed leak 1
                };
                await RetentionTests.Events(h, id, events);
            }
        }
        Assert.True(await redis.KeyCountAsync() > 0);

        await h.DrainAsync();

        Assert.Equal(0, await redis.KeyCountAsync());
        Assert.Equal(200, h.Evicted(Registries.Runs, "ttl"));
        Assert.Equal(40, h.Evicted(Registries.RunContexts, "finalized"));
        Assert.Equal(20, h.Evicted(Registries.PendingErrors, "finalized"));
        Assert.Equal(200, h.Evicted(Registries.Tombstones, "ttl"));
    }

    [Fact]
    public async Task Every_key_written_carries_a_redis_ttl_past_its_deadline()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var removed = await h.SpawnAsync("s4", SpawnMode.Session);
        await RetentionTests.Events(h, removed, "end");
        h.Clock.Advance(TimeSpan.FromMinutes(6));
        await h.Registry.SweepAllAsync();                         // leaves a tombstone and sweeper counters
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", removed)).Outcome);

        var ended = await h.SpawnAsync("s1", idempotencyKey: "k");
        await RetentionTests.Events(h, ended, "start", "tool", "end");
        var erred = await h.SpawnAsync("s2", SpawnMode.Session);
        await RetentionTests.Events(h, erred, "start", "error");
        await h.Registry.UpdateRecipientsAsync("t1", erred, ["c1"], []);
        var aborted = await h.SpawnAsync("s3");
        await h.Registry.AbortRunAsync("t1", aborted);

        var keys = redis.Keys().ToList();
        Assert.Contains(keys, k => k.ToString().EndsWith(":" + RunRecordLayout.Key));
        Assert.Contains(keys, k => k.ToString().Contains(":rcp:"));
        Assert.Contains(keys, k => k.ToString().Contains(":ddp:"));
        Assert.Contains(keys, k => k.ToString().Contains(":log:"));
        Assert.Contains(keys, k => k.ToString().Contains(":stats"));
        foreach (var key in keys)
        {
            var ttl = await h.Db.KeyTimeToLiveAsync(key);
            Assert.True(ttl > h.Options.KeyTtlSlack - TimeSpan.FromSeconds(5), $"{key} has TTL {ttl?.ToString() ?? "none"}");
        }
    }

    [Fact]
    public async Task Completion_is_announced_exactly_once_when_a_sweep_an_abort_and_a_late_end_race()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var ids = new List<string>();
        for (var i = 0; i < 100; i++)
        {
            var id = await h.SpawnAsync("race", timeoutSeconds: 60);
            await RetentionTests.Events(h, id, "start");
            ids.Add(id);
        }
        h.Clock.Advance(TimeSpan.FromSeconds(59));
        var racers = ids.SelectMany<string, Task>(id =>
        [
            h.Registry.AppendEventAsync("t1", id, new RunEvent("end", 2)),
            h.Registry.AbortRunAsync("t1", id),
        ]).Append(Task.Run(async () =>
        {
            h.Clock.Advance(TimeSpan.FromSeconds(1));
            await h.Registry.SweepAllAsync();
        }));
        await Task.WhenAll(racers);

        var completions = (await h.Registry.ReadEventsAsync("t1", "race", null, 10_000)).Where(e => e.Type == "completion").ToList();
        Assert.Equal(ids.Order(), completions.Select(c => c.RunId).Order());
        foreach (var id in ids)
        {
            Assert.False((await h.RunAsync(id)).IsLive);
        }
    }

    [Fact]
    public async Task At_the_cap_the_oldest_finished_run_goes_first_and_spawns_are_refused_only_when_live_runs_fill_it()
    {
        var options = new RegistryOptions { Shards = 1, MaxEntries = { Runs = 3 } };
        await using var h = await RegistryHarness.CreateAsync(redis, options);
        var first = await h.SpawnAsync();
        await RetentionTests.Events(h, first, "end");
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        var second = await h.SpawnAsync();
        await RetentionTests.Events(h, second, "end");
        var live = await h.SpawnAsync();

        var fourth = await h.SpawnAsync();                      // evicts `first`, the oldest finished
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", first)).Outcome);
        Assert.Equal(LookupOutcome.Found, (await h.Registry.GetRunAsync("t1", second)).Outcome);
        Assert.Equal(1, h.Evicted(Registries.Runs, "cap"));

        await h.SpawnAsync();                                   // evicts `second`: now three live runs
        var refused = await h.Registry.SpawnAsync(new SpawnRequest("t1", "agent:main", "task"));
        Assert.Equal(SpawnOutcome.Refused, refused.Outcome);
        Assert.Equal(3, (await h.Registry.SnapshotAsync())[Registries.Runs].Entries);

        await h.Registry.AbortRunAsync("t1", live);             // one finishes: room again
        Assert.Equal(SpawnOutcome.Created, (await h.Registry.SpawnAsync(new SpawnRequest("t1", "agent:main", "task"))).Outcome);
        Assert.Equal(LookupOutcome.Found, (await h.Registry.GetRunAsync("t1", fourth)).Outcome);
    }

    [Fact]
    public async Task One_sweep_call_touches_at_most_a_batch_and_says_more_is_due()
    {
        var options = new RegistryOptions { Shards = 1, SweepBatchSize = 10 };
        await using var h = await RegistryHarness.CreateAsync(redis, options);
        for (var i = 0; i < 25; i++)
        {
            await RetentionTests.Events(h, await h.SpawnAsync(mode: SpawnMode.Session), "end");
        }
        h.Clock.Advance(TimeSpan.FromMinutes(5));

        var first = await h.Registry.SweepShardAsync(0);
        Assert.True(first.More);
        Assert.Equal(10, first.Evictions.Where(e => e.Registry == Registries.Runs).Sum(e => e.Count));
        await h.Registry.SweepAllAsync();
        Assert.Equal(25, h.Evicted(Registries.Runs, "ttl"));
        Assert.False((await h.Registry.SweepShardAsync(0)).More);
    }

    [Fact]
    public async Task Registry_state_survives_a_gateway_restart_and_completion_is_not_announced_again()
    {
        // OpenClaw #64071: archive timers were lost on restart and completed runs re-announced.
        await using var before = await RegistryHarness.CreateAsync(redis);
        var id = await before.SpawnAsync("restart", SpawnMode.Session);
        await RetentionTests.Events(before, id, "start", "end");
        await before.DisposeAsync();

        await using var after = await RegistryHarness.CreateAsync(redis, flush: false);
        after.Clock.SetUtcNow(before.Clock.GetUtcNow());
        Assert.Equal(RunStatus.Ok, (await after.RunAsync(id)).Status);
        Assert.Equal(EventOutcome.Finished, (await after.Registry.AppendEventAsync("t1", id, new RunEvent("end", 3))).Outcome);
        after.Clock.Advance(TimeSpan.FromMinutes(4));
        await after.Registry.SweepAllAsync();
        var events = await after.Registry.ReadEventsAsync("t1", "restart", null);
        Assert.Single(events, e => e.Type == "completion");
        after.Clock.Advance(TimeSpan.FromMinutes(1));
        await after.Registry.SweepAllAsync();
        Assert.Equal(LookupOutcome.Gone, (await after.Registry.GetRunAsync("t1", id)).Outcome);
        Assert.Empty(await after.Registry.ReadEventsAsync("t1", "restart", null)); // the log went with its last run
    }

    [Fact]
    public async Task The_snapshot_reports_how_overdue_the_oldest_unswept_deadline_is()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        await RetentionTests.Events(h, await h.SpawnAsync(mode: SpawnMode.Session), "end");
        Assert.Null((await h.Registry.SnapshotAsync())[Registries.Runs].OldestOverdue);
        h.Clock.Advance(TimeSpan.FromMinutes(7));
        var snapshot = await h.Registry.SnapshotAsync();
        Assert.Equal(TimeSpan.FromMinutes(2), snapshot[Registries.Runs].OldestOverdue);
        Assert.Equal(TimeSpan.FromMinutes(2), snapshot.Lag);
    }
}

public sealed class InvariantTestsOnServer(RedisServer redis) : InvariantTests(redis), IClassFixture<RedisServer>;

public sealed class InvariantTestsOnCluster(RedisCluster redis) : InvariantTests(redis), IClassFixture<RedisCluster>;
