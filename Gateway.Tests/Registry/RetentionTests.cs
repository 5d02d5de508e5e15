using Gateway.Registry;
using Gateway.Tests.Infrastructure;

namespace Gateway.Tests.Registry;

/// <summary>
/// Each retention rule of the Registry options, including the seed's three leaks, reproduced by name. Times come
/// from the options (ShardAndPolicyTests pins the defaults the names give), a tick either side of each deadline.
/// </summary>
public abstract class RetentionTests(IRedisStore redis)
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Seed_leak_1_a_session_mode_run_is_removed_5_min_after_its_cleanup_completed()
    {
        // OpenClaw never archived spawnMode=session runs: subagentRuns grew with every session.
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync(mode: SpawnMode.Session);
        await Events(h, id, "start", "assistant", "end");

        h.Clock.Advance(h.Options.SessionRunArchiveAfterCleanup - Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(RunStatus.Ok, (await h.RunAsync(id)).Status);

        h.Clock.Advance(Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", id)).Outcome);
        Assert.Equal(1, h.Evicted(Registries.Runs, "ttl"));
    }

    [Fact]
    public async Task Seed_leak_2_the_context_of_a_run_whose_end_never_came_is_finalized_after_30_min_idle()
    {
        // OpenClaw cleared runContextById only on lifecycle end/error: a run that timed out kept it forever.
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        await Events(h, id, "start", "assistant");

        h.Clock.Advance(h.Options.ContextIdleTimeout - Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(RunStatus.Running, (await h.RunAsync(id)).Status);

        h.Clock.Advance(Tick);
        await h.Registry.SweepAllAsync();
        var run = await h.RunAsync(id);
        Assert.Equal(RunStatus.Timeout, run.Status);
        Assert.Equal("idle", run.EndedReason);
        Assert.Null(run.LastActiveAt);
        Assert.Equal(0, (await h.Registry.SnapshotAsync())[Registries.RunContexts].Entries);
        Assert.Equal(1, h.Evicted(Registries.RunContexts, "finalized"));
    }

    [Fact]
    public async Task Seed_leak_3_a_pending_lifecycle_error_with_no_end_is_finalized_after_its_grace()
    {
        // OpenClaw's pendingLifecycleErrorByRunId had a 15 s retry timer but no absolute TTL.
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        await Events(h, id, "start");
        await h.Registry.AppendEventAsync("t1", id, new RunEvent("error", 2, "model overloaded"));

        h.Clock.Advance(h.Options.PendingErrorGrace - Tick);
        await h.Registry.SweepAllAsync();
        Assert.True((await h.RunAsync(id)).ErrorPending);

        h.Clock.Advance(Tick);
        await h.Registry.SweepAllAsync();
        var run = await h.RunAsync(id);
        Assert.Equal(RunStatus.Error, run.Status);
        Assert.Equal("model overloaded", run.Error);
        Assert.Equal(0, (await h.Registry.SnapshotAsync())[Registries.PendingErrors].Entries);
        Assert.Equal(1, h.Evicted(Registries.PendingErrors, "finalized"));
    }

    [Fact]
    public async Task A_pending_error_is_finalized_5_min_after_the_first_even_if_errors_keep_coming()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        await Events(h, id, "start");
        var first = h.Clock.GetUtcNow();
        long seq = 2;
        // an error every half grace: the grace alone would never end it
        var every = h.Options.PendingErrorGrace / 2;
        for (var elapsed = TimeSpan.Zero; elapsed < h.Options.PendingErrorMax; elapsed += every)
        {
            Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", id, new RunEvent("error", seq++, "retrying"))).Outcome);
            h.Clock.Advance(every);
            await h.Registry.SweepAllAsync();
        }
        var run = await h.RunAsync(id);
        Assert.Equal(RunStatus.Error, run.Status);
        Assert.Equal(first + h.Options.PendingErrorMax, run.EndedAt);
    }

    [Theory]
    [InlineData("start", RunStatus.Running)]
    [InlineData("end", RunStatus.Ok)]
    public async Task A_later_start_or_end_cancels_a_pending_error(string next, RunStatus expected)
    {
        // Model fail-over emits a transient error and then carries on.
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        await Events(h, id, "start", "error", next);
        h.Clock.Advance(h.Options.PendingErrorGrace + Tick);
        await h.Registry.SweepAllAsync();
        var run = await h.RunAsync(id);
        Assert.Equal(expected, run.Status);
        Assert.False(run.ErrorPending);
        Assert.Null(run.Error);
    }

    [Fact]
    public async Task Activity_is_a_lease_a_run_that_keeps_emitting_events_is_never_swept()
    {
        // OpenClaw #112614: healthy queued runs lost their context 30 min after creation.
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        await Events(h, id, "start");
        for (var seq = 2; seq < 12; seq++)
        {
            h.Clock.Advance(h.Options.ContextIdleTimeout - Tick);
            await h.Registry.SweepAllAsync();
            Assert.Equal(EventOutcome.Accepted, (await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", seq))).Outcome);
        }
        Assert.Equal(RunStatus.Running, (await h.RunAsync(id)).Status);
        Assert.Equal(0, h.Evicted(Registries.RunContexts));
    }

    [Fact]
    public async Task A_live_run_is_finalized_as_timeout_at_its_runTimeoutSeconds_even_while_active()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync(timeoutSeconds: 600);
        await Events(h, id, "start");
        for (var seq = 2; seq <= 10; seq++)
        {
            h.Clock.Advance(TimeSpan.FromMinutes(1));
            await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", seq));
        }
        h.Clock.Advance(TimeSpan.FromMinutes(1));
        await h.Registry.SweepAllAsync();
        var run = await h.RunAsync(id);
        Assert.Equal(RunStatus.Timeout, run.Status);
        Assert.Equal("run-timeout", run.EndedReason);
        Assert.Equal(run.CreatedAt + TimeSpan.FromMinutes(10), run.EndedAt);
    }

    [Fact]
    public async Task A_run_with_no_timeout_is_finalized_at_the_max_lifetime()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        await Events(h, id, "start");
        // active all along (an event within every idle timeout), yet no run outlives the max lifetime
        var created = (await h.RunAsync(id)).CreatedAt;
        for (var seq = 2; h.Clock.GetUtcNow() < created + h.Options.MaxRunLifetime; seq++)
        {
            h.Clock.Advance(h.Options.ContextIdleTimeout - Tick);
            await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", seq));
        }
        await h.Registry.SweepAllAsync();
        var run = await h.RunAsync(id);
        Assert.Equal("run-timeout", run.EndedReason);
        Assert.Equal(created + h.Options.MaxRunLifetime, run.EndedAt);
    }

    [Fact]
    public async Task An_event_after_a_deadline_the_sweeper_has_not_reached_yet_is_refused_and_finalizes_the_run()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync(timeoutSeconds: 60);
        await Events(h, id, "start");
        h.Clock.Advance(TimeSpan.FromMinutes(2));
        var result = await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", 2));
        Assert.Equal(EventOutcome.Finished, result.Outcome);
        Assert.Equal(RunStatus.Timeout, result.Status);
        Assert.Equal((await h.RunAsync(id)).CreatedAt + TimeSpan.FromSeconds(60), (await h.RunAsync(id)).EndedAt);
    }

    [Fact]
    public async Task A_run_mode_run_is_archived_60_min_after_it_ends_and_then_answers_gone()
    {
        // OpenClaw #67278: a consumer reading a swept run must learn it is gone, not get "unknown".
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync(mode: SpawnMode.Run);
        await Events(h, id, "start", "end");
        h.Clock.Advance(h.Options.RunArchiveAfterEnd - Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(LookupOutcome.Found, (await h.Registry.GetRunAsync("t1", id)).Outcome);
        h.Clock.Advance(Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", id)).Outcome);
        Assert.Equal(EventOutcome.Gone, (await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", 3))).Outcome);
        Assert.Equal(LookupOutcome.NotFound, (await h.Registry.GetRunAsync("t1", Shard.NewRunId(new Shard(0), h.Clock.GetUtcNow()))).Outcome);
    }

    [Fact]
    public async Task Cleanup_delete_shortens_a_run_mode_run_to_the_5_min_retention()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync(cleanup: CleanupMode.Delete);
        await Events(h, id, "start", "end");
        h.Clock.Advance(h.Options.SessionRunArchiveAfterCleanup - Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(LookupOutcome.Found, (await h.Registry.GetRunAsync("t1", id)).Outcome);
        h.Clock.Advance(Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", id)).Outcome);
    }

    [Fact]
    public async Task An_abort_marker_is_kept_for_its_retention_while_the_aborted_run_stays_longer()
    {
        // The marker's own retention, shorter here than the run's archive, so the rule shows apart from the cascade.
        await using var h = await RegistryHarness.CreateAsync(redis, new RegistryOptions { AbortedRetention = TimeSpan.FromMinutes(10) });
        var id = await h.SpawnAsync();
        Assert.Equal(AbortOutcome.Aborted, (await h.Registry.AbortRunAsync("t1", id)).Outcome);

        h.Clock.Advance(h.Options.AbortedRetention - Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(1, (await h.Registry.SnapshotAsync())[Registries.AbortedRuns].Entries);
        h.Clock.Advance(Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(0, (await h.Registry.SnapshotAsync())[Registries.AbortedRuns].Entries);
        Assert.Equal(1, h.Evicted(Registries.AbortedRuns, "ttl"));
        Assert.Equal(RunStatus.Aborted, (await h.RunAsync(id)).Status);
    }

    [Fact]
    public async Task An_aborted_run_takes_its_abort_marker_with_it_and_late_events_are_refused()
    {
        // The run's archive, shorter here than the marker's retention: the marker goes with the run (cascade).
        await using var h = await RegistryHarness.CreateAsync(redis, new RegistryOptions { AbortedRetention = TimeSpan.FromHours(2) });
        var id = await h.SpawnAsync();
        await Events(h, id, "start");
        Assert.Equal(AbortOutcome.Aborted, (await h.Registry.AbortRunAsync("t1", id)).Outcome);
        Assert.Equal(AbortOutcome.AlreadyFinished, (await h.Registry.AbortRunAsync("t1", id)).Outcome);
        var late = await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", 2));
        Assert.Equal(EventOutcome.Finished, late.Outcome);
        Assert.Equal(RunStatus.Aborted, late.Status);
        Assert.Equal(1, (await h.Registry.SnapshotAsync())[Registries.AbortedRuns].Entries);
        // the run-mode run takes its abort marker with it: nothing belongs to a removed run
        h.Clock.Advance(h.Options.RunArchiveAfterEnd);
        await h.Registry.SweepAllAsync();
        Assert.Equal(0, (await h.Registry.SnapshotAsync())[Registries.AbortedRuns].Entries);
        Assert.Equal(1, h.Evicted(Registries.AbortedRuns, "cascade"));
    }

    [Fact]
    public async Task Aborting_a_session_aborts_its_live_runs_only()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var a = await h.SpawnAsync("s1");
        var b = await h.SpawnAsync("s1");
        var other = await h.SpawnAsync("s2");
        await Events(h, b, "start", "end");
        Assert.Equal([a], await h.Registry.AbortSessionAsync("t1", "s1"));
        Assert.Equal(RunStatus.Aborted, (await h.RunAsync(a)).Status);
        Assert.Equal(RunStatus.Ok, (await h.RunAsync(b)).Status);
        Assert.Equal(RunStatus.Pending, (await h.RunAsync(other)).Status);
    }

    [Fact]
    public async Task Tool_event_recipients_expire_10_min_after_the_last_update_and_30_s_after_final()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var idle = await h.SpawnAsync();
        var final = await h.SpawnAsync();
        await h.Registry.UpdateRecipientsAsync("t1", idle, ["conn-1"], []);
        await h.Registry.UpdateRecipientsAsync("t1", final, ["conn-2", "conn-3"], []);
        await Events(h, final, "start", "end");

        h.Clock.Advance(h.Options.RecipientsAfterFinal - Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(["conn-2", "conn-3"], await h.Registry.GetRecipientsAsync("t1", final));
        h.Clock.Advance(Tick);
        await h.Registry.SweepAllAsync();
        Assert.Empty(await h.Registry.GetRecipientsAsync("t1", final));
        Assert.Equal(["conn-1"], await h.Registry.GetRecipientsAsync("t1", idle));

        // an update renews the idle deadline
        h.Clock.Advance(h.Options.RecipientsIdle - h.Options.RecipientsAfterFinal - Tick);
        Assert.Equal(RecipientsOutcome.Updated, (await h.Registry.UpdateRecipientsAsync("t1", idle, ["conn-4"], ["conn-1"])).Outcome);
        h.Clock.Advance(h.Options.RecipientsIdle - Tick);
        await h.Registry.SweepAllAsync();
        Assert.Equal(["conn-4"], await h.Registry.GetRecipientsAsync("t1", idle));
        h.Clock.Advance(Tick);
        await h.Registry.SweepAllAsync();
        Assert.Empty(await h.Registry.GetRecipientsAsync("t1", idle));
        Assert.Equal(2, h.Evicted(Registries.ToolRecipients, "ttl"));
    }

    [Fact]
    public async Task A_repeated_idempotency_key_returns_the_same_run_for_5_min()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var first = await h.SpawnAsync(idempotencyKey: "k1");
        var again = await h.Registry.SpawnAsync(new SpawnRequest("t1", "agent:main", "task", IdempotencyKey: "k1"));
        Assert.Equal(new SpawnResult(SpawnOutcome.Duplicate, first), again);
        // another tenant or session with the same key is another request
        Assert.NotEqual(first, await h.SpawnAsync(tenant: "t2", idempotencyKey: "k1"));
        Assert.NotEqual(first, await h.SpawnAsync(session: "other", idempotencyKey: "k1"));

        h.Clock.Advance(h.Options.DedupeRetention - Tick);
        Assert.Equal(first, (await h.Registry.SpawnAsync(new SpawnRequest("t1", "agent:main", "task", IdempotencyKey: "k1"))).RunId);
        h.Clock.Advance(Tick);
        var later = await h.Registry.SpawnAsync(new SpawnRequest("t1", "agent:main", "task", IdempotencyKey: "k1"));
        Assert.Equal(SpawnOutcome.Created, later.Outcome);
        Assert.NotEqual(first, later.RunId);
    }

    [Fact]
    public async Task Events_out_of_order_are_reported_and_not_stored()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync();
        await Events(h, id, "start", "assistant");
        var duplicate = await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", 2));
        var gap = await h.Registry.AppendEventAsync("t1", id, new RunEvent("assistant", 4));
        Assert.Equal((EventOutcome.Duplicate, 2L), (duplicate.Outcome, duplicate.LastSeq));
        Assert.Equal((EventOutcome.Gap, 2L), (gap.Outcome, gap.LastSeq));
        Assert.Equal(2, (await h.Registry.ReadEventsAsync("t1", "agent:main", null)).Count);
        Assert.Equal(2, (await h.RunAsync(id)).LastSeq);
    }

    [Fact]
    public async Task Another_tenant_cannot_see_or_touch_a_run()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var id = await h.SpawnAsync(tenant: "t1");
        Assert.Equal(LookupOutcome.NotFound, (await h.Registry.GetRunAsync("t2", id)).Outcome);
        Assert.Equal(EventOutcome.NotFound, (await h.Registry.AppendEventAsync("t2", id, new RunEvent("start", 1))).Outcome);
        Assert.Equal(AbortOutcome.NotFound, (await h.Registry.AbortRunAsync("t2", id)).Outcome);
        Assert.Equal(RecipientsOutcome.NotFound, (await h.Registry.UpdateRecipientsAsync("t2", id, ["c"], [])).Outcome);
        Assert.Empty(await h.Registry.ListSessionRunsAsync("t2", "agent:main"));
        Assert.Equal(RunStatus.Pending, (await h.RunAsync(id)).Status);
    }

    [Fact]
    public async Task A_session_log_goes_with_its_last_run_and_not_before()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var first = await h.SpawnAsync("s", SpawnMode.Session);
        await Events(h, first, "start", "assistant", "end");
        var gap = h.Options.SessionRunArchiveAfterCleanup / 5;
        h.Clock.Advance(gap);
        var second = await h.SpawnAsync("s", SpawnMode.Session);
        await Events(h, second, "start", "end");

        // once the first run is archived, the log still holds both runs' events
        h.Clock.Advance(h.Options.SessionRunArchiveAfterCleanup - gap);
        await h.Registry.SweepAllAsync();
        Assert.Equal(LookupOutcome.Gone, (await h.Registry.GetRunAsync("t1", first)).Outcome);
        var events = await h.Registry.ReadEventsAsync("t1", "s", null);
        Assert.Equal([first, first, first, first, second, second, second], events.Select(e => e.RunId));
        Assert.Equal(1, (await h.Registry.SnapshotAsync())[Registries.SessionLogs].Entries);

        h.Clock.Advance(gap);
        await h.Registry.SweepAllAsync();
        Assert.Empty(await h.Registry.ReadEventsAsync("t1", "s", null));
        Assert.Equal(0, (await h.Registry.SnapshotAsync())[Registries.SessionLogs].Entries);
        Assert.Equal(1, h.Evicted(Registries.SessionLogs, "cascade"));
        Assert.DoesNotContain(redis.Keys(), k => k.ToString().Contains(":log:") || k.ToString().Contains(":ses:"));
    }

    internal static async Task Events(RegistryHarness h, string runId, params string[] streams)
    {
        var seq = (await h.RunAsync(runId)).LastSeq;
        foreach (var stream in streams)
        {
            var result = await h.Registry.AppendEventAsync("t1", runId, new RunEvent(stream, ++seq, stream == "error" ? "boom" : ""));
            Assert.Equal(EventOutcome.Accepted, result.Outcome);
        }
    }
}

public sealed class RetentionTestsOnServer(RedisServer redis) : RetentionTests(redis), IClassFixture<RedisServer>;

public sealed class RetentionTestsOnCluster(RedisCluster redis) : RetentionTests(redis), IClassFixture<RedisCluster>;
