using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gateway.Tests.Sweeper;

public sealed class SweeperMetricsTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task Passes_report_entries_evictions_lag_and_duration()
    {
        // Batches of 2 and one batch per shard per pass: a backlog that takes several passes, so lag shows.
        var options = new RegistryOptions { SweepBatchSize = 2 };
        await using var h = await RegistryHarness.CreateAsync(redis, options);
        await using var host = await new SweeperHost(redis, h.Clock,
            ("Registry:SweepBatchSize", "2"), ("Sweeper:MaxBatchesPerShardPerPass", "1")).StartAsync();
        using var entries = host.Collect<long>("gateway.registry.entries");
        using var evictions = host.Collect<long>("gateway.registry.evictions");
        using var lag = host.Collect<double>("gateway.sweeper.lag");
        using var duration = host.Collect<double>("gateway.sweeper.pass.duration");

        for (var i = 0; i < 10; i++)
        {
            var id = await h.SpawnAsync();
            await h.Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.Start, 1));
            await h.Registry.AppendEventAsync("t1", id, new RunEvent(RunEvent.End, 2));
        }
        await SweeperHost.TickAsync(h.Clock, host);
        Assert.Equal(10, Gauge(entries, Registries.Runs));
        Assert.Equal(1, Gauge(entries, Registries.SessionLogs));
        Assert.Equal(0, Gauge(entries, Registries.Tombstones));
        Assert.Equal(0, LatestLag(lag));

        // 30 s after the runs' archive deadline, one pass removes 2 of them: the other 8 are 30 s overdue.
        await SweeperHost.TickAsync(h.Clock, options.RunArchiveAfterEnd - TimeSpan.FromSeconds(1) + TimeSpan.FromSeconds(30), host);
        Assert.Equal(8, Gauge(entries, Registries.Runs));
        Assert.Equal(2, Gauge(entries, Registries.Tombstones));
        Assert.Equal(30, LatestLag(lag));
        Assert.Equal(2, evictions.Evicted(Registries.Runs, "ttl"));

        for (var pass = 0; pass < 4; pass++) await SweeperHost.TickAsync(h.Clock, host);
        Assert.Equal(0, Gauge(entries, Registries.Runs));
        Assert.Equal(10, Gauge(entries, Registries.Tombstones));
        // The session's log went with its last run.
        Assert.Equal(0, Gauge(entries, Registries.SessionLogs));
        Assert.Equal(1, evictions.Evicted(Registries.SessionLogs, "cascade"));
        Assert.Equal(0, LatestLag(lag));
        Assert.Equal(10, evictions.Evicted(Registries.Runs, "ttl"));
        Assert.All(evictions.GetMeasurementSnapshot(), m =>
        {
            Assert.Contains((string)m.Tags["gateway.registry"]!, Registries.All);
            Assert.Contains((string)m.Tags["gateway.eviction.reason"]!, Registries.Reasons);
        });
        Assert.Equal("{entry}", evictions.Instrument!.Unit);
        Assert.Equal("{entry}", entries.Instrument!.Unit);
        Assert.Equal("s", lag.Instrument!.Unit);

        // One duration per completed pass (the fake clock stands still during a pass).
        Assert.Equal("s", duration.Instrument!.Unit);
        Assert.Equal(6, duration.GetMeasurementSnapshot().Count);
        Assert.All(duration.GetMeasurementSnapshot(), m => Assert.Equal(0, m.Value));
    }

    private static long Gauge(MetricCollector<long> gauge, string registry)
    {
        gauge.Clear();
        gauge.RecordObservableInstruments();
        var values = gauge.GetMeasurementSnapshot();
        Assert.Equal(Registries.All.Order(), values.Select(m => (string)m.Tags["gateway.registry"]!).Order());
        return values.Single(m => (string)m.Tags["gateway.registry"]! == registry).Value;
    }

    private static double LatestLag(MetricCollector<double> lag)
    {
        lag.Clear();
        lag.RecordObservableInstruments();
        var measurement = Assert.Single(lag.GetMeasurementSnapshot());
        Assert.Empty(measurement.Tags);
        return measurement.Value;
    }
}
