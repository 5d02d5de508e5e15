using System.Globalization;
using Spectre.Console;

namespace Gateway.Bench.Report;

/// <summary>The figures of a run beside the targets of issue 5.</summary>
public static class ResultTable
{
    public static Table Build(BenchResult r)
    {
        var table = new Table().Title($"Gateway benchmark: {r.Sessions:N0} sessions, {r.Concurrency} in flight over {r.Protocol} " +
                $"({r.Connections} connections, {r.Batch} events per request; {r.Stack})")
            .AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("target").AddColumn("met");
        void Row(string name, object? value, string target = "", bool? met = null) =>
            table.AddRow(Markup.Escape(name), Markup.Escape(Format(value)), Markup.Escape(target),
                met switch { true => "[green]yes[/]", false => "[red]no[/]", _ => "" });

        Row("lifecycles/s", r.LifecyclesPerS, ">= 3,000", r.LifecyclesPerS >= 3_000);
        Row("requests/s", r.RequestsPerS);
        Row("http ceiling requests/s (GET /alive, same client)", r.HttpCeilingRequestsPerS);
        Row("lifecycle ceiling/s (http ceiling / requests per lifecycle)", r.LifecycleCeilingPerS);
        Row("p50 ms (per request)", r.P50Ms);
        Row("p99 ms (per request)", r.P99Ms, "<= 25", r.P99Ms <= 25);
        Row("p99.9 / max ms", $"{Format(r.P999Ms)} / {Format(r.MaxMs)}");
        Row("failed requests", r.FailedRequests, "0", r.FailedRequests == 0);
        Row("redis round trips / lifecycle", r.RedisCommandsPerLifecycle, "<= 8", r.RedisCommandsPerLifecycle <= 8);
        Row("redis commands / lifecycle (in scripts too)", r.RedisServerCommandsPerLifecycle);
        Row("redis ceiling ops/s (redis-benchmark)", r.RedisCeilingOpsPerS);
        foreach (var (process, ms) in r.CpuMsPerLifecycle) Row($"cpu ms / lifecycle: {process}", ms);
        foreach (var node in r.RedisNodes.Where(_ => r.RedisNodes.Count > 1))
        {
            Row($"redis {node.Node} ({(node.Shards > 0 ? $"slots {node.Slots}, {node.Shards} shards" : node.Slots)}): cpu ms / lifecycle, round trips / lifecycle",
                $"{Format(node.CpuMsPerLifecycle)} / {Format(node.RoundTripsPerLifecycle)}");
        }
        Row("api RSS MB start / end / peak", $"{Format(r.ApiRssMbStart)} / {Format(r.ApiRssMbEnd)} / {Format(r.ApiRssMbPeak)}",
            "end <= 1.15 x start", r.ApiRssMbEnd is { } end && r.ApiRssMbStart is { } start ? end <= 1.15 * start : null);
        Row("sweeper RSS MB end", r.SweeperRssMbEnd);
        Row("redis bytes / live run", r.RedisBytesPerLiveRun, "<= 1,000", r.RedisBytesPerLiveRun <= 1_000);
        Row("redis runs held at peak", r.RedisLiveRunsPeak);
        Row("redis used_memory_peak bytes", r.RedisUsedMemoryPeakBytes);
        Row("redis keys after drain", r.RedisKeysAfterDrain, "0", r.RedisKeysAfterDrain == 0);
        Row("drain s", r.DrainSeconds, r.DrainBoundSeconds is { } b ? $"<= {b:0.#}" : "",
            r.DrainBoundSeconds is { } bound ? r.DrainSeconds <= bound : null);
        foreach (var (registry, reasons) in r.EvictionsByReason ?? new Dictionary<string, Dictionary<string, long>>())
        {
            Row($"evictions: {registry}", string.Join(", ", reasons.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value:N0}")));
        }
        Row("idle sweep ms, 1k live", r.IdleSweepMs1K);
        Row($"idle sweep ms, {r.IdleSweepLargeEntries:N0} live", r.IdleSweepMs1M, "<= 1.5 x 1k",
            r.IdleSweepMs1M is { } large && r.IdleSweepMs1K is { } small ? large <= 1.5 * small : null);
        Row("idle sweep: ms inside Redis, 1k / large", $"{Format(r.IdleSweepRedisMs1K)} / {Format(r.IdleSweepRedisMs1M)}");
        Row("evictions/s (all due at once)", r.EvictionsPerS, ">= 100,000", r.EvictionsPerS is { } e ? e >= 100_000 : null);
        Row("runs finalized/s (all leases due at once)", r.RunsFinalizedPerS);
        Row("runs removed/s (all archives due at once)", r.RunsRemovedPerS);
        Row("load average at start", r.LoadAverageStart);
        return table;
    }

    private static string Format(object? value) => value switch
    {
        null => "n/a",
        double d when double.IsInfinity(d) => "inf",
        double d => d.ToString(d >= 100 ? "N0" : "0.###", CultureInfo.InvariantCulture),
        long l => l.ToString("N0", CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
