using System.Diagnostics.Metrics;
using Gateway.Registry;
using Gateway.Sweeper;
using Gateway.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gateway.Tests.Sweeper;

/// <summary>
/// One Gateway.Sweeper process (its real Program.cs) on a real Redis, with the test's clock. Several hosts may
/// share one clock so that they agree on "now". Passes run in lockstep with <see cref="TickAsync"/>.
/// </summary>
public sealed class SweeperHost(IRedisStore redis, FakeTimeProvider clock, params (string Key, string Value)[] settings)
    : WebApplicationFactory<SweeperEntryPoint>
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    // Pass outcomes: did something, idle, failed (first of an outage), failed again.
    private static readonly int[] PassEventIds = [2, 3, 4, 5];

    public ShardLeases Leases => Services.GetRequiredService<ShardLeases>();

    public FakeLogCollector Logs => Services.GetFakeLogCollector();

    public int PassesLogged => Logs.GetSnapshot().Count(r => r.Category == typeof(SweeperService).FullName && PassEventIds.Contains(r.Id.Id));

    /// <summary>Whether the latest pass logged did its work (Pass, Idle) rather than fail.</summary>
    public bool LastPassSucceeded => Logs.GetSnapshot()
        .LastOrDefault(r => r.Category == typeof(SweeperService).FullName && PassEventIds.Contains(r.Id.Id))?.Id.Id is 2 or 3;

    public IReadOnlyList<FakeLogRecord> SweeperLogs(LogLevel level) =>
        Logs.GetSnapshot().Where(r => r.Category == typeof(SweeperService).FullName && r.Level == level).ToList();

    public MetricCollector<T> Collect<T>(string instrument) where T : struct =>
        new(Services.GetRequiredService<IMeterFactory>(), RegistryMetrics.MeterName, instrument);

    /// <summary>Starts the host and waits for its first pass.</summary>
    public async Task<SweeperHost> StartAsync()
    {
        _ = Services;
        await WaitAsync(() => PassesLogged >= 1, "the first sweep pass");
        return this;
    }

    /// <summary>Advances the shared clock and waits until every host given has finished a pass.</summary>
    public static async Task TickAsync(FakeTimeProvider clock, TimeSpan by, params SweeperHost[] hosts)
    {
        var before = hosts.Select(h => h.PassesLogged).ToArray();
        // Advance would fire the periodic timer once per elapsed interval, queueing a second pass behind
        // the first; a clock that jumps (AdjustTime) then ticks once gives exactly one pass per tick.
        if (by > Interval) clock.AdjustTime(clock.GetUtcNow() + by - Interval);
        clock.Advance(by > Interval ? Interval : by);
        for (var i = 0; i < hosts.Length; i++)
        {
            var (host, passes) = (hosts[i], before[i]);
            await WaitAsync(() => host.PassesLogged > passes, "a sweep pass after the clock advanced");
        }
    }

    public static Task TickAsync(FakeTimeProvider clock, params SweeperHost[] hosts) => TickAsync(clock, Interval, hosts);

    private static Task WaitAsync(Func<bool> condition, string what) =>
        Eventually.TrueAsync(condition, what, poll: TimeSpan.FromMilliseconds(10));

    /// <summary>The holder of every shard lease in Redis (null = free), by shard.</summary>
    public static async Task<string?[]> LeaseHoldersAsync(RedisServer redis, int shards = 16)
    {
        var db = redis.Admin.GetDatabase();
        var holders = new string?[shards];
        for (var s = 0; s < shards; s++) holders[s] = await db.StringGetAsync(ShardLeases.LeaseKey(s));
        return holders;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // Short timeouts so a pass during an outage fails in about a second.
        builder.UseSetting("ConnectionStrings:redis", redis.ConnectionString + ",connectTimeout=1000,asyncTimeout=1000,syncTimeout=1000");
        builder.UseSetting("Sweeper:Interval", Interval.ToString());
        builder.UseSetting("Sweeper:LeaseDuration", "00:00:03");
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        builder.ConfigureLogging(logging => logging
            .AddFakeLogging()
            .AddFilter<FakeLoggerProvider>(typeof(SweeperService).Namespace, LogLevel.Debug));
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(clock));
    }
}
