using Microsoft.Extensions.Options;

namespace Gateway.Sweeper;

/// <summary>The "Sweeper" configuration section: cadence, leases and the health threshold.</summary>
public sealed class SweeperOptions
{
    public const string SectionName = "Sweeper";

    /// <summary>Time between the starts of two sweep passes.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a shard lease (and this instance's heartbeat) lives in Redis without renewal: the
    /// longest a dead sweeper's shards stay unswept. A lease is trusted for half of it after each renewal.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>/health reports Degraded when the oldest overdue registry deadline is older than this.</summary>
    public TimeSpan DegradedLag { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most sweep calls (each at most Registry:SweepBatchSize entries) per shard in one pass, so a
    /// backlog is worked off over several passes and never stalls traffic.</summary>
    public int MaxBatchesPerShardPerPass { get; set; } = 10;

    /// <summary>Least time between two registry snapshots (the entries and lag gauges) taken by passes.</summary>
    public TimeSpan SnapshotInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Bearer key of the /admin endpoints (sweep now, registry snapshot), which the AppHost's dashboard
    /// commands call. Unset: the endpoints are not mapped.</summary>
    public string? AdminKey { get; set; }

    /// <summary>Problems with these settings, each naming its key; empty when valid.</summary>
    public IEnumerable<string> Problems()
    {
        if (Interval <= TimeSpan.Zero) yield return "Sweeper:Interval must be positive.";
        // Renewed once per pass and trusted for half its life: three intervals leave room for one slow pass.
        if (LeaseDuration < 3 * Interval) yield return "Sweeper:LeaseDuration must be at least 3 x Sweeper:Interval.";
        if (DegradedLag <= TimeSpan.Zero) yield return "Sweeper:DegradedLag must be positive.";
        if (MaxBatchesPerShardPerPass < 1) yield return "Sweeper:MaxBatchesPerShardPerPass must be at least 1.";
        if (SnapshotInterval < TimeSpan.Zero) yield return "Sweeper:SnapshotInterval must not be negative.";
    }
}

/// <summary>Stops the host at start with every problem of the "Sweeper" section.</summary>
public sealed class ValidateSweeperOptions : IValidateOptions<SweeperOptions>
{
    public ValidateOptionsResult Validate(string? name, SweeperOptions options) =>
        options.Problems().ToList() is { Count: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}
