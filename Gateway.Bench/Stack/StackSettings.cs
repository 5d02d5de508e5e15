namespace Gateway.Bench.Stack;

/// <summary>
/// The short retention the benchmark's own stack runs with, so that every registry drains within seconds
/// of the last session. Given to the AppHost, which passes them to both services.
/// </summary>
public static class StackSettings
{
    public const string ApiKey = "bench-key";
    public const string Tenant = "bench";

    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    /// <summary>The AppHost's settings: an ephemeral Redis and the retention both services get from it.</summary>
    public static readonly string[] AppHostArgs =
    [
        "--Redis:Persistent=false",
        $"--Parameters:gateway-api-key={ApiKey}",
        "--Registry:RunArchiveAfterEnd=00:00:05",
        "--Registry:SessionRunArchiveAfterCleanup=00:00:05",
        "--Registry:ContextIdleTimeout=00:00:10",
        "--Registry:PendingErrorGrace=00:00:02",
        "--Registry:PendingErrorMax=00:00:05",
        "--Registry:AbortedRetention=00:00:05",
        "--Registry:RecipientsIdle=00:00:05",
        "--Registry:RecipientsAfterFinal=00:00:02",
        "--Registry:DedupeRetention=00:00:05",
        "--Registry:TombstoneRetention=00:00:05",
        "--Registry:MaxRunLifetime=00:10:00",
        "--Registry:KeyTtlSlack=00:01:00",
        // the sweeper alone retires, so its pass lines (SweeperEvictions) count every eviction; what retirement
        // on writes costs is measured apart (docs/benchmarks.md, "Retirement on writes")
        "--Registry:RetirePerWrite=0",
        "--Sweeper:Interval=00:00:01",
    ];

    /// <summary>What the services get besides the AppHost's own environment: quiet logs but for the sweeper's pass
    /// lines (SweeperEvictions reads them), and no telemetry export (the testing host runs no dashboard, so the
    /// OTLP endpoint Aspire gives them answers nothing, and the exporter's retries buffered in the API's memory).</summary>
    public static readonly IReadOnlyDictionary<string, string> ServiceEnvironment = new Dictionary<string, string>
    {
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Gateway"] = "Information",
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
        ["Aspire__StackExchange__Redis__DisableTracing"] = "true",
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["DOTNET_ENVIRONMENT"] = "Production",
    };

    /// <summary>The longest chain of retentions a session of the workload goes through (a session that never
    /// ends: idle lease, then archive, then tombstone) plus two sweep intervals: the drain target.</summary>
    public static TimeSpan DrainBound =>
        TimeSpan.FromSeconds(10 + 5 + 5) + 2 * SweepInterval;
}
