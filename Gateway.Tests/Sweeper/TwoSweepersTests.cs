using Gateway.Registry;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Gateway.Tests.Sweeper;

public sealed class TwoSweepersTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const int Sessions = 400;

    [Fact]
    public async Task Two_sweepers_split_the_shards_and_evict_every_due_entry_exactly_once()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        var expected = await ReferenceEvictionsAsync(h);

        await using var a = await new SweeperHost(redis, h.Clock).StartAsync();
        await using var b = await new SweeperHost(redis, h.Clock).StartAsync();
        using var evictedByA = a.Collect<long>("gateway.registry.evictions");
        using var evictedByB = b.Collect<long>("gateway.registry.evictions");
        await TickUntilAsync(h, () => a.Leases.Held.Count > 0 && b.Leases.Held.Count > 0 && a.Leases.Held.Count + b.Leases.Held.Count == 16,
            "both sweepers to hold a fair share of the 16 shards", a, b);

        await Workload.WriteAsync(h.Registry, Sessions);
        await SweeperHost.TickAsync(h.Clock, h.Options.LongestRetention + TimeSpan.FromSeconds(1), a, b);
        for (var tick = 0; (await h.Registry.SnapshotAsync()).Registries.Any(r => r.Entries > 0); tick++)
        {
            Assert.True(tick < 50, "the registries were not emptied within 50 passes");
            await AssertOneHolderPerShardAsync(a, b);
            await SweeperHost.TickAsync(h.Clock, a, b);
        }
        await AssertOneHolderPerShardAsync(a, b);

        var byA = evictedByA.Tally();
        var byB = evictedByB.Tally();
        Assert.True(byA.Values.Sum() > 0 && byB.Values.Sum() > 0, "both sweepers evicted entries of their own shards");
        var sum = byA.Keys.Union(byB.Keys).ToDictionary(k => k, k => byA.GetValueOrDefault(k) + byB.GetValueOrDefault(k));
        Assert.Equal(expected.OrderBy(e => e.Key), sum.OrderBy(e => e.Key));
        Assert.Empty(h.Evictions.GetMeasurementSnapshot());
    }

    [Fact]
    public async Task A_dead_sweepers_shards_are_taken_over_by_the_other()
    {
        await using var h = await RegistryHarness.CreateAsync(redis);
        await using var a = await new SweeperHost(redis, h.Clock).StartAsync();
        await using var b = await new SweeperHost(redis, h.Clock).StartAsync();
        await TickUntilAsync(h, () => a.Leases.Held.Count == 8 && b.Leases.Held.Count == 8, "an 8/8 split", a, b);

        // A loses Redis for good without releasing anything, as a crashed or partitioned process would.
        a.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().Dispose();
        await TickUntilAsync(h, () => b.Leases.Held.Count == 16, "B to take over A's expired leases", b);
        Assert.All(await SweeperHost.LeaseHoldersAsync(redis), holder => Assert.Equal(b.Leases.InstanceId, holder));

        using var evictedByB = b.Collect<long>("gateway.registry.evictions");
        await Workload.WriteAsync(h.Registry, 100);
        await SweeperHost.TickAsync(h.Clock, h.Options.LongestRetention + TimeSpan.FromSeconds(1), b);
        await SweeperHost.TickAsync(h.Clock, b);
        Assert.All((await h.Registry.SnapshotAsync()).Registries, r => Assert.Equal(0, r.Entries));
        // Every run, in A's former shards too, was removed by B.
        Assert.Equal(100, evictedByB.Tally()[(Registries.Runs, "ttl")]);
    }

    /// <summary>What one sweeper alone evicts for the workload (SweepAllAsync at the same relative time), by
    /// registry and reason; leaves Redis empty.</summary>
    private async Task<Dictionary<(string, string), long>> ReferenceEvictionsAsync(RegistryHarness h)
    {
        await Workload.WriteAsync(h.Registry, Sessions);
        h.Evictions.Clear();
        await h.DrainAsync();
        var expected = h.Evictions.Tally();
        h.Evictions.Clear();
        Assert.Equal(Sessions, expected[(Registries.Runs, "ttl")]);
        Assert.Equal(0, await redis.KeyCountAsync());
        return expected;
    }

    /// <summary>Between passes: no shard is held by both, and each one's view matches the lease keys in Redis.</summary>
    private async Task AssertOneHolderPerShardAsync(SweeperHost a, SweeperHost b)
    {
        Assert.Empty(a.Leases.Held.Intersect(b.Leases.Held));
        var holders = await SweeperHost.LeaseHoldersAsync(redis);
        Assert.Equal(a.Leases.Held, Enumerable.Range(0, 16).Where(s => holders[s] == a.Leases.InstanceId));
        Assert.Equal(b.Leases.Held, Enumerable.Range(0, 16).Where(s => holders[s] == b.Leases.InstanceId));
    }

    private static Task TickUntilAsync(RegistryHarness h, Func<bool> condition, string what, params SweeperHost[] hosts) =>
        Eventually.TrueAsync(async () =>
        {
            if (condition()) return true;
            await SweeperHost.TickAsync(h.Clock, hosts);
            return condition();
        }, what);
}
