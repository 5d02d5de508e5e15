using Gateway.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Gateway.Hosting;

/// <summary>Registry sizes, eviction rates and sweeper lag, read straight from Redis (RunRegistry.SnapshotAsync).</summary>
public sealed record RegistryReading(RegistrySnapshot Snapshot, IReadOnlyDictionary<string, double> EvictionsPerSecond)
{
    public long TotalEntries => Snapshot.Registries.Sum(r => r.Entries);
}

/// <summary>
/// Reads the registries the way the sweeper's gauges do, from the launcher's side: it needs no API and works
/// while the services start. The "Registry" configuration (shards) is the one the children inherit.
/// </summary>
public sealed class RegistryWatch : IAsyncDisposable
{
    private readonly ConnectionMultiplexer connection;
    private readonly ServiceProvider services;
    private readonly RunRegistry registry;
    private readonly TimeProvider time;
    private (DateTimeOffset At, Dictionary<string, long> Totals)? previous;

    private RegistryWatch(ConnectionMultiplexer connection, ServiceProvider services)
    {
        this.connection = connection;
        this.services = services;
        registry = services.GetRequiredService<RunRegistry>();
        time = services.GetRequiredService<TimeProvider>();
    }

    public static async Task<RegistryWatch> ConnectAsync(string redisConnectionString, IConfiguration configuration)
    {
        var options = ConfigurationOptions.Parse(redisConnectionString);
        options.AbortOnConnectFail = false;
        var connection = await ConnectionMultiplexer.ConnectAsync(options);
        var services = new ServiceCollection()
            .AddSingleton<IConnectionMultiplexer>(connection)
            .AddRunRegistry(configuration)
            .BuildServiceProvider();
        return new RegistryWatch(connection, services);
    }

    /// <summary>The registries now, and evictions per second since the previous reading.</summary>
    public async Task<RegistryReading> ReadAsync()
    {
        var snapshot = await registry.SnapshotAsync();
        var now = time.GetUtcNow();
        var totals = snapshot.Registries.ToDictionary(r => r.Name, r => r.Evictions.Values.Sum());
        var rates = totals.ToDictionary(t => t.Key, t =>
        {
            if (previous is not { } p || now <= p.At) return 0.0;
            // Counters restart when a shard empties: a drop is a restart, not a negative rate.
            var delta = Math.Max(0, t.Value - p.Totals.GetValueOrDefault(t.Key));
            return delta / (now - p.At).TotalSeconds;
        });
        previous = (now, totals);
        return new RegistryReading(snapshot, rates);
    }

    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        await connection.DisposeAsync();
    }
}
