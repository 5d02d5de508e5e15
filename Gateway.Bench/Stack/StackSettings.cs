namespace Gateway.Bench.Stack;

/// <summary>
/// The short retention the benchmark's own stack runs with, so that every registry drains within seconds
/// of the last session. Passed to both services as environment variables (Registry__..., Sweeper__...).
/// </summary>
public static class StackSettings
{
    public const string ApiKey = "bench-key";
    public const string Tenant = "bench";

    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>
    {
        ["Registry__RunArchiveAfterEnd"] = "00:00:05",
        ["Registry__SessionRunArchiveAfterCleanup"] = "00:00:05",
        ["Registry__ContextIdleTimeout"] = "00:00:10",
        ["Registry__PendingErrorGrace"] = "00:00:02",
        ["Registry__PendingErrorMax"] = "00:00:05",
        ["Registry__AbortedRetention"] = "00:00:05",
        ["Registry__RecipientsIdle"] = "00:00:05",
        ["Registry__RecipientsAfterFinal"] = "00:00:02",
        ["Registry__DedupeRetention"] = "00:00:05",
        ["Registry__TombstoneRetention"] = "00:00:05",
        ["Registry__MaxRunLifetime"] = "00:10:00",
        ["Registry__KeyTtlSlack"] = "00:01:00",
        ["Sweeper__Interval"] = "00:00:01",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Gateway"] = "Information",
        ["Logging__Console__FormatterName"] = "json",
    };

    /// <summary>The longest chain of retentions a session of the workload goes through (a session that never
    /// ends: idle lease, then archive, then tombstone) plus two sweep intervals: the drain target.</summary>
    public static TimeSpan DrainBound =>
        TimeSpan.FromSeconds(10 + 5 + 5) + 2 * SweepInterval;
}
