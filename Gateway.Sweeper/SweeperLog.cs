namespace Gateway.Sweeper;

/// <summary>The sweeper's log lines: one per pass that did something, one per outage.</summary>
internal static partial class SweeperLog
{
    [LoggerMessage(1, LogLevel.Information, "Sweeper {InstanceId} started, one pass every {Interval}")]
    public static partial void Started(ILogger logger, string instanceId, TimeSpan interval);

    [LoggerMessage(2, LogLevel.Information,
        "Sweep pass: {Evicted} evicted [{Evictions}] on {ShardsHeld} shards held ({LiveSweepers} live sweepers; " +
        "+{Acquired} -{Released} lost {Lost}; {Backlog} shards with more due) in {DurationMs:F1} ms, lag {LagSeconds:F1} s")]
    public static partial void Pass(ILogger logger, int shardsHeld, int liveSweepers, long evicted, string evictions,
        int acquired, int released, int lost, int backlog, double durationMs, double lagSeconds);

    [LoggerMessage(3, LogLevel.Debug, "Sweep pass: nothing due on {ShardsHeld} shards held, {DurationMs:F1} ms, lag {LagSeconds:F1} s")]
    public static partial void Idle(ILogger logger, int shardsHeld, double durationMs, double lagSeconds);

    [LoggerMessage(4, LogLevel.Warning, "Sweep pass failed; retrying every {Interval} until Redis answers (logged once per outage)")]
    public static partial void PassFailed(ILogger logger, TimeSpan interval, Exception exception);

    [LoggerMessage(5, LogLevel.Debug, "Sweep pass failed again ({FailedPasses} in a row): {Error}")]
    public static partial void PassFailedAgain(ILogger logger, int failedPasses, string error);

    [LoggerMessage(6, LogLevel.Information, "Sweep passes resumed after {FailedPasses} failed passes over {Outage}")]
    public static partial void Recovered(ILogger logger, int failedPasses, TimeSpan outage);

    [LoggerMessage(7, LogLevel.Information, "Sweeper {InstanceId} stopped and released its shard leases")]
    public static partial void Stopped(ILogger logger, string instanceId);

    [LoggerMessage(8, LogLevel.Warning, "Could not release shard leases at shutdown; they expire within {LeaseDuration}")]
    public static partial void ReleaseFailed(ILogger logger, TimeSpan leaseDuration, Exception exception);
}
