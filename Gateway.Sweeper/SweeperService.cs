using Microsoft.Extensions.Options;

namespace Gateway.Sweeper;

/// <summary>
/// Runs a <see cref="SweepPass"/> every Sweeper:Interval. A failing pass (Redis down) is logged once per
/// outage and the loop keeps its cadence, so sweeping resumes by itself when Redis returns. On shutdown the
/// leases are handed back so other sweepers take over at once.
/// </summary>
public sealed class SweeperService(SweepPass pass, ShardLeases leases, IOptions<SweeperOptions> options,
    TimeProvider time, ILogger<SweeperService> logger) : BackgroundService
{
    private int failedPasses;
    private long outageStarted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        SweeperLog.Started(logger, leases.InstanceId, options.Value.Interval);
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        try
        {
            do
            {
                await PassAsync(stoppingToken);
            } while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await ReleaseLeasesAsync();
        }
    }

    private async Task PassAsync(CancellationToken stoppingToken)
    {
        try
        {
            var report = await pass.RunAsync(stoppingToken);
            if (failedPasses > 0)
            {
                SweeperLog.Recovered(logger, failedPasses, time.GetElapsedTime(outageStarted));
                failedPasses = 0;
            }
            if (report.DidSomething)
            {
                SweeperLog.Pass(logger, report.ShardsHeld.Count, report.Leases.LiveSweepers, report.Evicted, report.EvictionSummary,
                    report.Leases.Acquired.Count, report.Leases.Released.Count, report.Leases.Lost.Count, report.Backlog.Count,
                    report.Duration.TotalMilliseconds, report.Lag.TotalSeconds);
            }
            else
            {
                SweeperLog.Idle(logger, report.ShardsHeld.Count, report.Duration.TotalMilliseconds, report.Lag.TotalSeconds);
            }
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Anything but shutdown: the loop must outlive a Redis outage, a timeout or a bug in one pass.
            if (failedPasses++ == 0)
            {
                outageStarted = time.GetTimestamp();
                SweeperLog.PassFailed(logger, options.Value.Interval, ex);
            }
            else
            {
                SweeperLog.PassFailedAgain(logger, failedPasses, ex.Message);
            }
        }
    }

    private async Task ReleaseLeasesAsync()
    {
        try
        {
            await leases.ReleaseAllAsync();
            SweeperLog.Stopped(logger, leases.InstanceId);
        }
        catch (Exception ex)
        {
            // Unreachable Redis at shutdown: the leases expire by themselves after LeaseDuration.
            SweeperLog.ReleaseFailed(logger, options.Value.LeaseDuration, ex);
        }
    }
}
