using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The small equivalent of Aspire.StackExchange.Redis (not served on this project's package feed), with the
/// same configuration keys: <c>ConnectionStrings:{name}</c> and the <c>Aspire:StackExchange:Redis</c> section
/// (<c>ConnectionString</c>, <c>DisableHealthChecks</c>, <c>ConfigurationOptions</c>). Switching to the package
/// is a one-line change: delete this file and reference Aspire.StackExchange.Redis.
/// </summary>
public static class RedisClientExtensions
{
    public const string DefaultConfigSectionName = "Aspire:StackExchange:Redis";

    public static void AddRedisClient(this IHostApplicationBuilder builder, string connectionName,
        Action<StackExchangeRedisSettings>? configureSettings = null,
        Action<ConfigurationOptions>? configureOptions = null)
    {
        var section = builder.Configuration.GetSection(DefaultConfigSectionName);
        var settings = new StackExchangeRedisSettings();
        section.Bind(settings);
        if (builder.Configuration.GetConnectionString(connectionName) is { Length: > 0 } connectionString)
        {
            settings.ConnectionString = connectionString;
        }
        configureSettings?.Invoke(settings);

        if (string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            throw new InvalidOperationException(
                $"Redis connection string is missing: set ConnectionStrings:{connectionName} " +
                $"(environment variable ConnectionStrings__{connectionName}) or {DefaultConfigSectionName}:ConnectionString.");
        }

        var options = ConfigurationOptions.Parse(settings.ConnectionString);
        section.GetSection("ConfigurationOptions").Bind(options);
        // A gateway must start while Redis is down and reconnect by itself when it returns (the Aspire default too).
        options.AbortOnConnectFail = false;
        configureOptions?.Invoke(options);

        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        builder.Services.AddHostedService<RedisConnectOnStart>();

        if (!settings.DisableHealthChecks)
        {
            builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>(
                $"StackExchange.Redis_{connectionName}", failureStatus: HealthStatus.Unhealthy, tags: ["ready"]);
        }
    }
}

public sealed class StackExchangeRedisSettings
{
    public string? ConnectionString { get; set; }
    public bool DisableHealthChecks { get; set; }
}

/// <summary>Healthy when Redis answers a PING within the check's time.</summary>
public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:F1} ms");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis is unreachable", ex);
        }
    }
}

/// <summary>
/// Connects while the host starts, before the first request. Connecting inside the singleton's factory on the
/// first request blocked a thread-pool thread per concurrent request (DI's lock, then a synchronous connect)
/// and a burst at start starved the pool until the connection timed out: every request of the burst got 503.
/// </summary>
internal sealed class RedisConnectOnStart(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.GetRequiredService<IConnectionMultiplexer>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
