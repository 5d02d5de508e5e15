using Gateway.Registry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gateway.Tests.Infrastructure;

/// <summary>A RunRegistry on a real Redis (one server or a cluster) with a fake clock, and a collector on its eviction counter.</summary>
public sealed class RegistryHarness : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private readonly ConnectionMultiplexer connection;

    private RegistryHarness(IRedisStore redis, RegistryOptions options, ConnectionMultiplexer connection)
    {
        this.connection = connection;
        Redis = redis;
        Options = options;
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meterFactory = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        Metrics = new RegistryMetrics(meterFactory);
        Evictions = new MetricCollector<long>(meterFactory, RegistryMetrics.MeterName, "gateway.registry.evictions");
        Batches = new MetricCollector<long>(meterFactory, RegistryMetrics.MeterName, "gateway.registry.commit.batch_size");
        var scripts = new RegistryScripts(connection, new RetentionPolicy(options), Clock);
        Registry = new RunRegistry(scripts, new GroupCommit(scripts, Metrics, meterFactory), Metrics, new RunEndSignals(connection));
    }

    public static async Task<RegistryHarness> CreateAsync(IRedisStore redis, RegistryOptions? options = null, bool flush = true)
    {
        if (flush) await redis.FlushAsync();
        var connection = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        return new RegistryHarness(redis, options ?? new RegistryOptions(), connection);
    }

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero));

    public IRedisStore Redis { get; }

    public RegistryOptions Options { get; }

    public RegistryMetrics Metrics { get; }

    public RunRegistry Registry { get; }

    public MetricCollector<long> Evictions { get; }

    /// <summary>Operations per script call (group commit).</summary>
    public MetricCollector<long> Batches { get; }

    public IDatabase Db => connection.GetDatabase();

    /// <summary>Sum of the eviction counter for a registry (and reason, if given).</summary>
    public long Evicted(string registry, string? reason = null) => Evictions.Evicted(registry, reason);

    public async Task<string> SpawnAsync(string session = "agent:main", SpawnMode mode = SpawnMode.Run, int timeoutSeconds = 0,
        string tenant = "t1", string? idempotencyKey = null, CleanupMode cleanup = CleanupMode.Keep)
    {
        var result = await Registry.SpawnAsync(new SpawnRequest(tenant, session, "task", Mode: mode,
            RunTimeoutSeconds: timeoutSeconds, IdempotencyKey: idempotencyKey, Cleanup: cleanup));
        Assert.NotEqual(SpawnOutcome.Refused, result.Outcome);
        return result.RunId!;
    }

    public async Task<RunRecord> RunAsync(string runId, string tenant = "t1")
    {
        var lookup = await Registry.GetRunAsync(tenant, runId);
        Assert.Equal(LookupOutcome.Found, lookup.Outcome);
        return lookup.Run!;
    }

    /// <summary>Advance the fake clock past every retention there is, then sweep every shard.</summary>
    public async Task DrainAsync()
    {
        Clock.Advance(Options.LongestRetention + TimeSpan.FromSeconds(1));
        await Registry.SweepAllAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Evictions.Dispose();
        Batches.Dispose();
        await services.DisposeAsync();
        await connection.DisposeAsync();
    }
}
