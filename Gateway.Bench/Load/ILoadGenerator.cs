namespace Gateway.Bench.Load;

/// <summary>
/// Drives the sessions of <see cref="SessionPlan"/> through one protocol with a fixed number in flight, counting
/// what <see cref="BenchRun"/> reports: per-request latencies, sessions done and failed requests by cause.
/// </summary>
public interface ILoadGenerator
{
    LatencyHistogram Latencies { get; }

    long SessionsDone { get; }

    /// <summary>Failed requests by cause (an HTTP status code, an error code of the WebSocket protocol, an exception type).</summary>
    IReadOnlyDictionary<string, long> Failures { get; }

    long FailedRequests { get; }

    /// <summary>Runs sessions [first, first + count) with <paramref name="concurrency"/> in flight; stops early when cancelled.</summary>
    Task RunAsync(long first, long count, int concurrency, CancellationToken cancellationToken);
}
