using System.Diagnostics.Metrics;

namespace Gateway.Registry;

/// <summary>
/// The Gateway's own instruments (meter "Gateway", registered for export in ServiceDefaults). Counters are
/// fed by what the registry scripts report; the gauges read the latest <see cref="RegistrySnapshot"/>.
/// </summary>
public sealed class RegistryMetrics
{
    public const string MeterName = "Gateway";

    private readonly Counter<long> evictions;
    private readonly Counter<long> lateEvents;
    private readonly Counter<long> spawnsRefused;
    private readonly Histogram<double> passDuration;
    private RegistrySnapshot? latest;

    public RegistryMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        evictions = meter.CreateCounter<long>("gateway.registry.evictions", "{entry}",
            "Registry entries removed or finalized by retention, by registry and reason (ttl, cap, cascade, finalized).");
        lateEvents = meter.CreateCounter<long>("gateway.registry.late_events", "{event}",
            "Events that arrived for a run already removed (answered 410 Gone).");
        spawnsRefused = meter.CreateCounter<long>("gateway.registry.spawns_refused", "{run}",
            "Spawns refused by admission control because live runs filled the runs registry.");
        passDuration = meter.CreateHistogram<double>("gateway.sweeper.pass.duration", "s",
            "Duration of one sweep pass over every shard the sweeper holds.");
        meter.CreateObservableGauge("gateway.registry.entries", ObserveEntries, "{entry}",
            "Entries per registry, as of the latest sweep pass.");
        meter.CreateObservableGauge("gateway.sweeper.lag", ObserveLag, "s",
            "Age of the oldest registry deadline not yet swept.");
    }

    public RegistrySnapshot? Latest => latest;

    public void Evicted(IEnumerable<Eviction> items)
    {
        foreach (var e in items)
        {
            evictions.Add(e.Count, new("gateway.registry", e.Registry), new("gateway.eviction.reason", e.Reason));
        }
    }

    public void LateEvent(string registry) => lateEvents.Add(1, new KeyValuePair<string, object?>("gateway.registry", registry));

    public void SpawnRefused() => spawnsRefused.Add(1);

    public void SweepPass(TimeSpan duration) => passDuration.Record(duration.TotalSeconds);

    public void Observe(RegistrySnapshot snapshot) => latest = snapshot;

    private IEnumerable<Measurement<long>> ObserveEntries() =>
        latest?.Registries.Select(r => new Measurement<long>(r.Entries, new KeyValuePair<string, object?>("gateway.registry", r.Name)))
        ?? [];

    private IEnumerable<Measurement<double>> ObserveLag() =>
        latest is null ? [] : [new Measurement<double>(latest.Lag.TotalSeconds)];
}
