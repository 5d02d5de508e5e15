using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;

namespace Aspire.Hosting;

/// <summary>Adds redis-server as an executable resource: the counterpart of Aspire.Hosting.Redis's container.</summary>
public static class RedisServerBuilderExtensions
{
    /// <summary>
    /// redis-server on 127.0.0.1 with a generated password (the secret parameter <c>{name}-password</c>), an
    /// append-only file under <c>.data/{name}</c> beside the AppHost (see <see cref="WithDataDirectory"/> and
    /// <see cref="WithEphemeralData"/>), and a health check that PINGs it, so <c>WaitFor</c> waits for a real answer.
    /// </summary>
    /// <exception cref="RedisServerNotFoundException">redis-server is not on the PATH.</exception>
    public static IResourceBuilder<RedisServerResource> AddRedisServer(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int? port = null, IResourceBuilder<ParameterResource>? password = null)
    {
        // No comma: StackExchange.Redis cannot parse a password with one (as in Aspire's AddRedis).
        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var redis = new RedisServerResource(name, "/bin/sh", builder.AppHostDirectory, passwordParameter)
        {
            DataDirectory = Path.Combine(builder.AppHostDirectory, ".data", name),
        };
        var executable = RedisServerExecutable.Locate();

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, ct) =>
            connectionString = await redis.ConnectionStringExpression.GetValueAsync(ct));
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(
            _ => connectionString ?? throw new InvalidOperationException($"{name} has no connection string yet."), name: healthCheckKey);

        return builder.AddResource(redis)
            // Not proxied: clients talk to redis-server itself, with no hop through the orchestrator's proxy.
            .WithEndpoint(port: port, targetPort: port, name: RedisServerResource.PrimaryEndpointName, isProxied: false)
            // The password goes in an environment variable that a shell expands (as for Aspire's Redis container),
            // so the dashboard's arguments never show it, and neither does `ps`: redis-server replaces its
            // process title at start.
            .WithEnvironment("REDIS_PASSWORD", passwordParameter)
            .WithArgs(context =>
            {
                context.Args.Add("-c");
                context.Args.Add("exec \"$0\" \"$@\" --requirepass \"$REDIS_PASSWORD\"");
                context.Args.Add(executable);
                context.Args.Add("--port");
                context.Args.Add(redis.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                foreach (var arg in ServerArgs(redis.DataDirectory)) context.Args.Add(arg);
            })
            .OnBeforeResourceStarted((resource, _, _) =>
            {
                if (resource.DataDirectory is { } dir) Directory.CreateDirectory(dir);
                return Task.CompletedTask;
            })
            .WithHealthCheck(healthCheckKey)
            .WithIconName("Database")
            .ExcludeFromManifest();
    }

    /// <summary>Keep the append-only file in <paramref name="path"/> (created when missing).</summary>
    public static IResourceBuilder<RedisServerResource> WithDataDirectory(this IResourceBuilder<RedisServerResource> builder, string path)
    {
        builder.Resource.DataDirectory = Path.GetFullPath(path, builder.ApplicationBuilder.AppHostDirectory);
        return builder;
    }

    /// <summary>A throwaway server: no append-only file, no snapshot; its data is gone when it stops.</summary>
    public static IResourceBuilder<RedisServerResource> WithEphemeralData(this IResourceBuilder<RedisServerResource> builder)
    {
        builder.Resource.DataDirectory = null;
        return builder;
    }

    private static IEnumerable<string> ServerArgs(string? dataDirectory)
    {
        string[] server = ["--bind", "127.0.0.1", "--daemonize", "no"];
        // Append-only file, fsync every second; SIGTERM at stop flushes it, so a clean restart loses nothing.
        string[] persistence = dataDirectory is null
            ? ["--save", "", "--appendonly", "no"]
            : ["--dir", dataDirectory, "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""];
        return server.Concat(persistence);
    }
}
