using System.Diagnostics;
using Gateway.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Gateway.Bench.Measure;

/// <summary>
/// The cost of sweeping, measured in-process on a spare database of the same Redis (the services never see it):
/// one pass over every shard with nothing due at 1,000 and at <c>large</c> live runs, then the rate at which a
/// sweep evicts when every one of them comes due at once. Runs are spawned straight through
/// <see cref="RunRegistry"/> (pipelined script calls), not over HTTP, so that a million take seconds.
/// </summary>
public sealed class SweepCost(string redisConnection, IServer server)
{
    public const int Database = 1;
    private const int SmallSize = 1_000;
    private const int IdlePasses = 25;

    /// <param name="EvictionsPerSecond">Entries evicted (every registry, every reason, as gateway.registry.evictions
    /// counts them) per second of sweeping, over both batches.</param>
    public sealed record Result(double IdleSweepMs1k, double IdleSweepMsLarge, double IdleSweepRedisMs1k, double IdleSweepRedisMsLarge, int LargeEntries, long Evictions,
        double EvictionSeconds, double EvictionsPerSecond, double RunsFinalizedPerSecond, double RunsRemovedPerSecond, long KeysLeft);

    private static async Task<(IReadOnlyList<Eviction> Evictions, double Seconds)> SweepTimedAsync(RunRegistry registry)
    {
        var started = Stopwatch.GetTimestamp();
        var evictions = await registry.SweepAllAsync();
        return (evictions, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    public async Task<Result?> MeasureAsync(int large, Action<string, double> progress, CancellationToken cancellationToken)
    {
        if (await server.DatabaseSizeAsync(Database) > 0) return null; // not ours to write into
        var clock = new ManualClock();
        var connection = ConfigurationOptions.Parse(redisConnection);
        connection.DefaultDatabase = Database;
        using var redis = await ConnectionMultiplexer.ConnectAsync(connection);
        await using var provider = Registry(redis, clock);
        var registry = provider.GetRequiredService<RunRegistry>();
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<RegistryOptions>>().Value;
        try
        {
            await SpawnAsync(registry, 0, SmallSize, cancellationToken);
            var idle1K = await IdlePassAsync(registry, options.Shards);
            await SpawnAsync(registry, SmallSize, large - SmallSize, cancellationToken,
                done => progress("populate", (double)done / large));
            var idleLarge = await IdlePassAsync(registry, options.Shards);

            // A large batch comes due at once, twice: first every live run's idle lease (each run is finalized as
            // timeout and announced to its session), then every archive deadline (each run is removed with its
            // session's log and run list, and its tombstone, already due too, with it).
            clock.Advance(options.ContextIdleTimeout + TimeSpan.FromSeconds(1));
            var (finalized, finalizeSeconds) = await SweepTimedAsync(registry);
            clock.Advance(options.LongestRetention);
            var (removed, removeSeconds) = await SweepTimedAsync(registry);
            var total = finalized.Sum(e => e.Count) + removed.Sum(e => e.Count);
            var seconds = finalizeSeconds + removeSeconds;
            var runs = removed.Where(e => e.Registry == Registries.Runs).Sum(e => e.Count);
            var left = await server.DatabaseSizeAsync(Database);
            return new Result(idle1K.Ms, idleLarge.Ms, idle1K.RedisMs, idleLarge.RedisMs, large, total, Math.Round(seconds, 2), Math.Round(total / seconds),
                Math.Round(large / finalizeSeconds), Math.Round(runs / removeSeconds), left);
        }
        finally
        {
            await server.FlushDatabaseAsync(Database);
        }
    }

    /// <summary>The median of several passes, each one sweep call per shard in turn (as one sweeper holding all
    /// shards does), and the mean time Redis itself spent in a pass's scripts (commandstats).</summary>
    private async Task<(double Ms, double RedisMs)> IdlePassAsync(RunRegistry registry, int shards)
    {
        // The benchmark's own garbage from populating is not the sweeper's cost: collect it before timing.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var times = new List<double>();
        var before = await RedisStats.ReadAsync(server);
        for (var pass = 0; pass < IdlePasses; pass++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var shard = 0; shard < shards; shard++)
            {
                var result = await registry.SweepShardAsync(shard);
                if (result.Total > 0) throw new InvalidOperationException($"An idle sweep evicted {result.Total} entries.");
            }
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        var after = await RedisStats.ReadAsync(server);
        times.Sort();
        return (Math.Round(times[times.Count / 2], 3), Math.Round((after.ScriptMicroseconds - before.ScriptMicroseconds) / 1000.0 / IdlePasses, 3));
    }

    /// <summary>Spawns session-mode runs, two per requester session, 2,000 script calls in flight.</summary>
    private static async Task SpawnAsync(RunRegistry registry, int first, int count, CancellationToken cancellationToken,
        Action<int>? progress = null)
    {
        const int InFlight = 2_000;
        for (var start = 0; start < count; start += InFlight)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var n = Math.Min(InFlight, count - start);
            var spawns = Enumerable.Range(first + start, n).Select(i => registry.SpawnAsync(
                new SpawnRequest("sweep", $"ticket-{i / 2}", "measure the sweep", ChildSessionKey: $"ticket-{i / 2}-s{i % 2}", Mode: SpawnMode.Session)));
            var results = await Task.WhenAll(spawns);
            if (results.FirstOrDefault(r => r.Outcome != SpawnOutcome.Created) is { } refused)
            {
                throw new InvalidOperationException($"Populating the sweep measure: a spawn was {refused.Outcome}.");
            }
            progress?.Invoke(start + n);
        }
    }

    /// <summary>A registry on the spare database with default retention and caps raised above the population.</summary>
    private static ServiceProvider Registry(IConnectionMultiplexer redis, TimeProvider clock)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Registry:MaxEntries:Runs"] = "100000000",
            ["Registry:MaxEntries:SessionLogs"] = "100000000",
            ["Registry:MaxEntries:Tombstones"] = "100000000",
        };
        var services = new ServiceCollection();
        services.AddSingleton(clock);
        services.AddSingleton(redis);
        services.AddRunRegistry(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }
}
