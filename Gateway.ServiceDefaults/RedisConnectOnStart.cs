using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Gateway: connect to Redis while the host starts (Aspire.StackExchange.Redis connects on first use).</summary>
public static class RedisConnectOnStartExtensions
{
    /// <summary>
    /// Resolves the <see cref="IConnectionMultiplexer"/> that <c>AddRedisClient</c> registered before the first
    /// request. Connecting inside the singleton's factory on the first request blocked a thread-pool thread per
    /// concurrent request (DI's lock, then a synchronous connect), and a burst at start starved the pool until
    /// the connection timed out: every request of the burst got 503.
    /// </summary>
    public static TBuilder ConnectRedisOnStart<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHostedService<RedisConnectOnStart>();
        return builder;
    }

    private sealed class RedisConnectOnStart(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            services.GetRequiredService<IConnectionMultiplexer>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
