using Microsoft.Extensions.Options;

namespace Gateway.Sweeper;

/// <summary>
/// Runs a <see cref="SweepPass"/> every Sweeper:Interval, and at once when one is asked for
/// (<see cref="SweepRequests"/>). A failing pass (Redis down) is logged once per outage and the loop keeps
/// its cadence, so sweeping resumes by itself when Redis returns. On shutdown the leases are handed back so
/// other sweepers take over at once.
/// </summary>
public sealed class SweeperService(SweepPass pass, ShardLeases leases, SweepRequests requests, IOptions<SweeperOptions> options,
    TimeProvider time, ILogger<SweeperService> logger) : BackgroundService
{
    private int failedPasses;
    private long outageStarted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        SweeperLog.Started(logger, leases.InstanceId, options.Value.Interval);
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        // One pending wait of each kind at a time, carried over to the next round when the other one woke.
        Task? tick = null, asked = null;
        try
        {
            while (true)
            {
                await PassAsync(requests.Take(), stoppingToken);
                tick ??= timer.WaitForNextTickAsync(stoppingToken).AsTask();
                asked ??= requests.WaitAsync(stoppingToken);
                var woke = await Task.WhenAny(tick, asked);
                await woke; // throws on shutdown
                if (woke == tick) tick = null;
                else asked = null;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            requests.Take()?.TrySetCanceled(CancellationToken.None);
            await ReleaseLeasesAsync();
        }
    }

    private async Task PassAsync(TaskCompletionSource<PassReport>? requested, CancellationToken stoppingToken)
    {
        try
        {
            var report = await pass.RunAsync(stoppingToken);
            requested?.TrySetResult(report);
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
            requested?.TrySetException(ex);
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
