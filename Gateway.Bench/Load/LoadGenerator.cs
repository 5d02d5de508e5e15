using System.Collections.Concurrent;

namespace Gateway.Bench.Load;

/// <summary>
/// What every protocol's load shares: <paramref name="concurrency"/> workers, each taking the next session
/// and running it to its end, the per-request histogram, and failures counted by cause, never thrown, so
/// one bad answer does not end the run. A protocol says what a worker holds (<typeparamref name="TWorker"/>)
/// and how one session runs.
/// </summary>
public abstract class LoadGenerator<TWorker> : ILoadGenerator
{
    private readonly ConcurrentDictionary<string, long> failures = new();
    private long sessionsDone;

    public LatencyHistogram Latencies { get; } = new();

    public long SessionsDone => Interlocked.Read(ref sessionsDone);

    public IReadOnlyDictionary<string, long> Failures => failures;

    public long FailedRequests => failures.Values.Sum();

    public async Task RunAsync(long first, long count, int concurrency, CancellationToken cancellationToken)
    {
        var next = first - 1;
        var end = first + count;
        async Task Worker(int number)
        {
            var worker = StartWorker(number);
            long i;
            try
            {
                while (!cancellationToken.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < end)
                {
                    await RunSessionAsync(new SessionPlan(i), worker, cancellationToken);
                    Interlocked.Increment(ref sessionsDone);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // the run's time limit: the sessions done so far are the result
            }
            finally
            {
                EndWorker(worker);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(w => Task.Run(() => Worker(w), CancellationToken.None)));
    }

    /// <summary>What worker <paramref name="number"/> holds while it runs sessions.</summary>
    protected abstract TWorker StartWorker(int number);

    protected virtual void EndWorker(TWorker worker) { }

    protected abstract Task RunSessionAsync(SessionPlan plan, TWorker worker, CancellationToken cancellationToken);

    protected void Fail(string cause) => failures.AddOrUpdate(cause, 1, (_, n) => n + 1);
}
