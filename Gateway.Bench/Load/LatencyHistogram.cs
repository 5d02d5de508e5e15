namespace Gateway.Bench.Load;

/// <summary>
/// Request latencies in fixed memory, however many requests: 10 µs buckets up to 1 s, 1 ms buckets up to 60 s,
/// and one bucket beyond. Lock-free; percentiles are exact to the bucket width.
/// </summary>
public sealed class LatencyHistogram
{
    private const int FineBuckets = 100_000;   // 0 .. 1 s by 10 µs
    private const int CoarseBuckets = 59_000;  // 1 .. 60 s by 1 ms
    private readonly long[] counts = new long[FineBuckets + CoarseBuckets + 1];
    private long total;
    private long maxTicks;

    public long Count => Interlocked.Read(ref total);

    public void Record(TimeSpan latency)
    {
        var us = latency.Ticks / 10;
        var bucket = us < 1_000_000 ? (int)(us / 10)
            : us < 60_000_000 ? FineBuckets + (int)((us - 1_000_000) / 1_000)
            : counts.Length - 1;
        Interlocked.Increment(ref counts[bucket]);
        Interlocked.Increment(ref total);
        long seen;
        while (latency.Ticks > (seen = Interlocked.Read(ref maxTicks)) &&
               Interlocked.CompareExchange(ref maxTicks, latency.Ticks, seen) != seen) { }
    }

    public double MaxMs => TimeSpan.FromTicks(Interlocked.Read(ref maxTicks)).TotalMilliseconds;

    /// <summary>The latency (upper edge of its bucket) below which <paramref name="quantile"/> of requests fall.</summary>
    public double PercentileMs(double quantile)
    {
        var n = Count;
        if (n == 0) return 0;
        var rank = (long)Math.Ceiling(quantile * n);
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += Interlocked.Read(ref counts[i]);
            if (seen >= rank) return UpperEdgeMs(i);
        }
        return MaxMs;
    }

    private static double UpperEdgeMs(int bucket) =>
        bucket < FineBuckets ? Math.Round((bucket + 1) * 0.01, 2)
        : bucket < FineBuckets + CoarseBuckets ? 1_000 + (bucket - FineBuckets + 1)
        : double.PositiveInfinity;
}
