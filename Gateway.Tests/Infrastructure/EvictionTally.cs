using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gateway.Tests.Infrastructure;

/// <summary>The one reading of the gateway.registry.evictions counter: totals by registry and reason.</summary>
public static class EvictionTally
{
    public static Dictionary<(string Registry, string Reason), long> Tally(this MetricCollector<long> evictions) =>
        evictions.GetMeasurementSnapshot()
            .GroupBy(m => ((string)m.Tags["gateway.registry"]!, (string)m.Tags["gateway.eviction.reason"]!))
            .ToDictionary(g => g.Key, g => g.Sum(m => m.Value));

    /// <summary>Evictions of one registry (for one reason, if given).</summary>
    public static long Evicted(this MetricCollector<long> evictions, string registry, string? reason = null) =>
        evictions.Tally().Where(t => t.Key.Registry == registry && (reason is null || t.Key.Reason == reason)).Sum(t => t.Value);
}
