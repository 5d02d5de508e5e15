using System.Diagnostics;

namespace Gateway.Bench.Measure;

/// <summary>
/// What HTTP alone allows on this machine, in the same run: the load generator's own client, with the same
/// connections, sends <c>GET /alive</c> (a liveness probe: no authentication, no Redis, no body) in a closed
/// loop. No registry request can be faster than this, so it bounds the lifecycles per second of the workload
/// (about six requests each) whatever the registry does. Bounded in count and time; loopback only, as the load.
/// </summary>
public static class HttpCeiling
{
    private const int Requests = 60_000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public static async Task<double?> MeasureAsync(HttpClient http, int concurrency, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Limit);
        var next = -1L;
        var done = 0L;
        async Task Worker()
        {
            while (!limit.IsCancellationRequested && Interlocked.Increment(ref next) < Requests)
            {
                using var response = await http.GetAsync("/alive", HttpCompletionOption.ResponseContentRead, limit.Token);
                if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET /alive answered {(int)response.StatusCode}.");
                Interlocked.Increment(ref done);
            }
        }
        var started = Stopwatch.GetTimestamp();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker, CancellationToken.None)));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // the time limit: the requests done so far are the measure
        }
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return done > 0 ? Math.Round(done / seconds) : null;
    }
}
