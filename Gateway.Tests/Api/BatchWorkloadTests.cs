using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Gateway.Api.Contracts;
using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace Gateway.Tests.Api;

/// <summary>The seed's batch workload end to end through HTTP, then retention: nothing left, every eviction counted.</summary>
[Collection(RunsAlone.Name)]
public sealed class BatchWorkloadTests(RedisServer redis, ITestOutputHelper output) : IClassFixture<RedisServer>
{
    private const int Sessions = 2_000, Errored = Sessions / 10, Silent = Sessions / 10;

    [Fact]
    public async Task Two_thousand_sessions_then_retention_leave_every_registry_empty_and_counted()
    {
        await redis.FlushAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));
        await using var api = new GatewayApiFactory(redis, clock: clock);
        using var evictions = new MetricCollector<long>(api.Services.GetRequiredService<IMeterFactory>(), RegistryMetrics.MeterName, "gateway.registry.evictions");
        var client = api.ClientFor();
        var elapsed = Stopwatch.StartNew();

        await Parallel.ForAsync(0, Sessions, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var run = await client.SpawnAsync($"agent:batch-{i}", mode: "session");
            await client.AcceptedAsync(run.RunId, new { seq = 1, stream = "lifecycle", phase = "start" });
            if (i < Errored)
            {
                await client.AcceptedAsync(run.RunId, new { seq = 2, stream = "lifecycle", phase = "error", error = "provider failed" });
            }
            else if (i >= Errored + Silent)
            {
                await client.AcceptedAsync(run.RunId, new { seq = 2, stream = "assistant", data = new { text = "done" } });
                await client.AcceptedAsync(run.RunId, new { seq = 3, stream = "lifecycle", phase = "end" });
            }
        });
        output.WriteLine($"workload: {Sessions} sessions through HTTP in {elapsed.Elapsed.TotalSeconds:F1} s");

        var loaded = Sizes(await client.GetFromJsonAsync<RegistryResponse>("/v1/registry", GatewayApiFactory.Json));
        Assert.Equal((Sessions, Errored + Silent, Errored, Sessions), (loaded["runs"], loaded["run_contexts"], loaded["pending_errors"], loaded["session_logs"]));

        clock.Advance(api.Services.GetRequiredService<IOptions<RegistryOptions>>().Value.LongestRetention + TimeSpan.FromSeconds(1));
        await api.Registry.SweepAllAsync();

        var drained = await client.GetFromJsonAsync<RegistryResponse>("/v1/registry", GatewayApiFactory.Json);
        Assert.All(drained!.Registries, r => Assert.Equal((r.Name, 0L), (r.Name, r.Entries)));
        Assert.Equal(0, await redis.KeyCountAsync());
        Assert.Equal(new Dictionary<(string, string), long>
        {
            [("runs", "ttl")] = Sessions,
            [("run_contexts", "finalized")] = Errored + Silent,
            [("pending_errors", "finalized")] = Errored,
            [("session_logs", "cascade")] = Sessions, // each session's log goes with its only run
            [("tombstones", "ttl")] = Sessions,
        }, evictions.Tally());
    }

    private static Dictionary<string, long> Sizes(RegistryResponse? registry) => registry!.Registries.ToDictionary(r => r.Name, r => r.Entries);
}
