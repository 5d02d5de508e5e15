using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Tests.Api;

public sealed class MetricsTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task An_event_for_a_swept_run_answers_410_and_counts_a_late_event()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
        await using var api = new GatewayApiFactory(redis, clock: clock);
        using var late = new MetricCollector<long>(api.Services.GetRequiredService<IMeterFactory>(), RegistryMetrics.MeterName, "gateway.registry.late_events");
        var client = api.ClientFor();
        var run = await client.SpawnAsync("agent:late");
        await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "end" });
        clock.Advance(TimeSpan.FromMinutes(61));
        await api.Registry.SweepAllAsync();
        Assert.Empty(late.GetMeasurementSnapshot());

        await (await client.EventAsync(run.RunId, new { seq = 2, stream = "assistant" })).ProblemAsync(410);
        await (await client.EventAsync(run.RunId, new { seq = 3, stream = "lifecycle", phase = "end" })).ProblemAsync(410);

        var measurements = late.GetMeasurementSnapshot();
        Assert.Equal(2, measurements.Count);
        Assert.All(measurements, m =>
        {
            Assert.Equal(1, m.Value);
            Assert.Equal("runs", Assert.Single(m.Tags, t => t.Key == "gateway.registry").Value);
        });
    }

    [Fact]
    public async Task A_spawn_refused_by_admission_control_answers_503_with_Retry_After_stores_nothing_and_is_counted()
    {
        await redis.FlushAsync();
        await using var api = new GatewayApiFactory(redis, new Dictionary<string, string>
        {
            // One shard, so the cap (split evenly across shards) is exactly 2 live runs.
            ["Registry:Shards"] = "1",
            ["Registry:MaxEntries:Runs"] = "2",
        });
        using var refused = new MetricCollector<long>(api.Services.GetRequiredService<IMeterFactory>(), RegistryMetrics.MeterName, "gateway.registry.spawns_refused");
        var client = api.ClientFor();
        await client.SpawnAsync("agent:cap");
        await client.SpawnAsync("agent:cap");
        var before = await RedisFingerprint.OfAsync(redis);

        var response = await client.PostAsJsonAsync("/v1/runs", new { requesterSessionKey = "agent:cap", task = "third" });

        Assert.Contains("admission control", (await response.ProblemAsync(503)).Detail);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Equal(before, await RedisFingerprint.OfAsync(redis));
        var measurement = Assert.Single(refused.GetMeasurementSnapshot());
        Assert.Equal(1, measurement.Value);
        Assert.Empty(measurement.Tags);
    }
}
