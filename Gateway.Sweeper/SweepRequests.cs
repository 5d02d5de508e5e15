namespace Gateway.Sweeper;

/// <summary>
/// Passes asked for out of turn (the dashboard's "Sweep now"). Every request made before the next pass starts
/// shares that pass and gets its report, so at most one request is ever pending, however often it is asked.
/// </summary>
public sealed class SweepRequests
{
    private readonly Lock gate = new();
    private readonly SemaphoreSlim wake = new(0, 1);
    private TaskCompletionSource<PassReport>? pending;

    /// <summary>The report of the next pass, which starts at once if the sweep loop is waiting.</summary>
    public Task<PassReport> RequestAsync()
    {
        lock (gate)
        {
            if (pending is null)
            {
                pending = new TaskCompletionSource<PassReport>(TaskCreationOptions.RunContinuationsAsynchronously);
                if (wake.CurrentCount == 0) wake.Release();
            }
            return pending.Task;
        }
    }

    /// <summary>Completes when a pass is asked for.</summary>
    internal Task WaitAsync(CancellationToken cancellationToken) => wake.WaitAsync(cancellationToken);

    /// <summary>The requests the pass about to start answers (null when none).</summary>
    internal TaskCompletionSource<PassReport>? Take()
    {
        lock (gate)
        {
            var taken = pending;
            pending = null;
            return taken;
        }
    }
}
