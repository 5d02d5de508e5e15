namespace Gateway.Registry;

/// <summary>
/// Every retention rule and cap of every registry, in one configuration section ("Registry").
/// Defaults follow OpenClaw's bounds with its three leaks closed (see README, "Retention").
/// </summary>
public sealed class RegistryOptions
{
    public const string SectionName = "Registry";

    /// <summary>Run-mode runs are archived (removed) this long after they end.</summary>
    public TimeSpan RunArchiveAfterEnd { get; set; } = TimeSpan.FromMinutes(60);

    /// <summary>Session-mode runs (and cleanup=delete runs) are removed this long after their cleanup completed.</summary>
    public TimeSpan SessionRunArchiveAfterCleanup { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A live run's context is a lease renewed by each event; a run silent this long is finalized as timeout.</summary>
    public TimeSpan ContextIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>A lifecycle error becomes final after this grace unless a start or end cancels it.</summary>
    public TimeSpan PendingErrorGrace { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>However many errors follow, a pending error is finalized no later than this after the first.</summary>
    public TimeSpan PendingErrorMax { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan AbortedRetention { get; set; } = TimeSpan.FromHours(1);
    public TimeSpan RecipientsIdle { get; set; } = TimeSpan.FromMinutes(10);
    public TimeSpan RecipientsAfterFinal { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan DedupeRetention { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A live run with no end is finalized as timeout at its runTimeoutSeconds, or after this at most.</summary>
    public TimeSpan MaxRunLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a removed run is remembered, so that a late event for it answers "gone".</summary>
    public TimeSpan TombstoneRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Every Redis key expires this long after its registry deadline, even if no sweeper runs.</summary>
    public TimeSpan KeyTtlSlack { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Number of hash-tagged shards. Fixed for the life of a deployment (run ids embed their shard).</summary>
    public int Shards { get; set; } = 16;

    /// <summary>Most entries one sweep call touches, so cleanup never stalls traffic.</summary>
    public int SweepBatchSize { get; set; } = 1000;

    /// <summary>Most due entries of its shard a write (spawn, event, abort, recipients) retires before its own
    /// change, so that traffic keeps the registries within their retention even with no sweeper; 0: none.</summary>
    public int RetirePerWrite { get; set; } = 8;

    /// <summary>Most entries kept in one session's event log; the oldest go first.</summary>
    public int SessionLogMaxLength { get; set; } = 1000;

    public RegistryCaps MaxEntries { get; set; } = new();

    /// <summary>After this long with no writes, every entry any write could have made is past its deadline.</summary>
    public TimeSpan LongestRetention =>
        MaxRunLifetime + Max(RunArchiveAfterEnd, SessionRunArchiveAfterCleanup) + TombstoneRetention;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

/// <summary>Maximum sizes, across all shards. At a cap the entries due soonest go first; spawns are refused
/// only when live runs alone fill the runs registry.</summary>
public sealed class RegistryCaps
{
    public int Runs { get; set; } = 1_000_000;
    public int DedupeKeys { get; set; } = 1_000_000;
    public int SessionLogs { get; set; } = 1_000_000;
    public int Tombstones { get; set; } = 1_000_000;
    public int AbortedRuns { get; set; } = 1_000_000;
    public int RecipientsPerRun { get; set; } = 1_000;
}
