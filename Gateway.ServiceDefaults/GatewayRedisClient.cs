using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>Gateway: the services' Redis client (Aspire.StackExchange.Redis's, connection name <c>redis</c>), tuned
/// for an outage: it reconnects soon after Redis returns, and it connects while the host starts.</summary>
public static class GatewayRedisClientExtensions
{
    /// <summary>
    /// Registers the <c>redis</c> client and connects it at start. <paramref name="failFast"/>: while Redis is down a
    /// command fails at once instead of waiting in the client's backlog (the API answers 503 + Retry-After at once).
    /// </summary>
    public static TBuilder AddGatewayRedisClient<TBuilder>(this TBuilder builder, bool failFast = false) where TBuilder : IHostApplicationBuilder
    {
        builder.AddRedisClient("redis", configureOptions: options =>
        {
            // Retry the connection after 250 ms, backing off to 2 s at most: the client's default backoff (2.5 s
            // growing to 10 s) kept the API answering 503 for 3-12 s after Redis was back (Faults/RedisKillTests).
            options.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
            if (failFast) options.BacklogPolicy = BacklogPolicy.FailFast;
            // Socket I/O on the thread pool rather than the client's own threads: a reply reached its caller through
            // two thread hand-offs, a quarter of the API's CPU in the benchmark (docs/benchmarks.md).
            options.SocketManager = SocketManager.ThreadPool;
        });
        builder.Services.AddHostedService<RedisConnectOnStart>();
        return builder;
    }

    /// <summary>
    /// Resolves the <see cref="IConnectionMultiplexer"/> before the first request (Aspire's client connects on first
    /// use). Connecting inside the singleton's factory on the first request blocked a thread-pool thread per
    /// concurrent request (DI's lock, then a synchronous connect), and a burst at start starved the pool until
    /// the connection timed out: every request of the burst got 503.
    /// </summary>
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
