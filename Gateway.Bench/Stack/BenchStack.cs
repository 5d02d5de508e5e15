using Aspire.Hosting;
using Gateway.Bench.Measure;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Bench.Stack;

/// <summary>
/// The benchmark's own stack: the real Gateway.AppHost, started in this process by Aspire.Hosting.Testing
/// (DCP runs redis-server, gateway-api and gateway-sweeper), with an ephemeral Redis, the short retention of
/// <see cref="StackSettings"/> passed as AppHost settings, and the services' environment of
/// <see cref="StackSettings.ServiceEnvironment"/>.
/// </summary>
public sealed class BenchStack : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly DistributedApplication app;
    private readonly CancellationTokenSource stopWatching = new();

    private BenchStack(DistributedApplication app, string redisConnection, Uri apiUrl)
    {
        this.app = app;
        RedisConnection = redisConnection;
        ApiUrl = apiUrl;
    }

    public string RedisConnection { get; }

    public Uri ApiUrl { get; }

    /// <summary>The gateway-api process itself (the orchestrator starts it through `dotnet run`).</summary>
    public int? ApiPid { get; private init; }

    public int? SweeperPid { get; private init; }

    /// <summary>Each line the sweeper writes (its "Sweep pass" lines carry the evictions).</summary>
    public event Action<string>? SweeperLine;

    /// <param name="redisCluster">Run the AppHost's Redis Cluster topology instead of one redis-server.</param>
    public static async Task<BenchStack> StartAsync(bool redisCluster, CancellationToken cancellationToken)
    {
        string[] args = [.. StackSettings.AppHostArgs, $"--Redis:Topology={(redisCluster ? "cluster" : "single")}"];
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Gateway_AppHost>(args, cancellationToken);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            var resource = builder.CreateResourceBuilder(project).WithEnvironment(context =>
            {
                foreach (var (key, value) in StackSettings.ServiceEnvironment) context.EnvironmentVariables[key] = value;
            });
            // One API process, reached directly rather than through the orchestrator's proxy (which runs only under
            // the AppHost and took a third of the lifecycles/s here): the benchmark measures the gateway.
            if (project.Name == "gateway-api") resource.WithEndpoint("http", e => (e.IsProxied, e.Port, e.TargetPort) = (false, null, null));
        }
        // The AppHost's own log (and the resources' lines it forwards) would bury the progress view.
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        var app = await builder.BuildAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        await app.StartAsync(timeout.Token);
        var api = await app.ResourceNotifications.WaitForResourceHealthyAsync("gateway-api", timeout.Token);
        var sweeper = await app.ResourceNotifications.WaitForResourceHealthyAsync("gateway-sweeper", timeout.Token);
        var stack = new BenchStack(app, (await app.GetConnectionStringAsync("redis", timeout.Token))!, app.GetEndpoint("gateway-api", "http"))
        {
            ApiPid = ServicePid(api),
            SweeperPid = ServicePid(sweeper),
        };
        _ = stack.WatchSweeperAsync();
        return stack;
    }

    private async Task WatchSweeperAsync()
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        try
        {
            await foreach (var batch in logs.WatchAsync(Resource("gateway-sweeper")).WithCancellation(stopWatching.Token))
            {
                foreach (var line in batch) SweeperLine?.Invoke(line.Content);
            }
        }
        catch (OperationCanceledException) { }
    }

    private IResource Resource(string name) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == name);

    /// <summary>The service's own process: the orchestrator reports the `dotnet run` that started it.</summary>
    private static int? ServicePid(ResourceEvent healthy) =>
        healthy.Snapshot.Properties.FirstOrDefault(p => p.Name == "executable.pid")?.Value is { } pid
            ? ProcStats.ChildOf(Convert.ToInt32(pid))
            : null;

    public async ValueTask DisposeAsync()
    {
        await stopWatching.CancelAsync();
        await app.DisposeAsync();
        stopWatching.Dispose();
    }
}
