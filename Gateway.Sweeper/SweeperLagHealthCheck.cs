using Gateway.Registry;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Gateway.Sweeper;

/// <summary>
/// Degraded when the oldest overdue registry deadline is older than Sweeper:DegradedLag: retention is not
/// being enforced (sweepers stopped, stuck or too slow). Reads a fresh snapshot rather than the last pass's,
/// so a stalled loop cannot report its own last good state.
/// </summary>
public sealed class SweeperLagHealthCheck(RunRegistry registry, IOptions<SweeperOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var threshold = options.Value.DegradedLag;
        try
        {
            var lag = (await registry.SnapshotAsync().WaitAsync(cancellationToken)).Lag;
            var data = new Dictionary<string, object> { ["lagSeconds"] = lag.TotalSeconds, ["thresholdSeconds"] = threshold.TotalSeconds };
            return lag > threshold
                ? HealthCheckResult.Degraded($"Oldest overdue deadline is {lag.TotalSeconds:F0} s old (threshold {threshold.TotalSeconds:F0} s).", data: data)
                : HealthCheckResult.Healthy($"Sweeper lag {lag.TotalSeconds:F1} s.", data);
        }
        catch (Exception ex) when (ex is StackExchange.Redis.RedisException or TimeoutException)
        {
            return new HealthCheckResult(context.Registration.FailureStatus, "Registry unreadable: Redis is unreachable.", ex);
        }
    }
}
