using System.Diagnostics;
using System.Security.Cryptography;
using StackExchange.Redis;

namespace Gateway.Hosting;

/// <summary>Where a running stack reports: each line a resource writes, and each change of a resource's state.</summary>
public sealed record StackObserver(Action<string, string>? Output = null, Action<ResourceStatus>? StateChanged = null);

/// <summary>
/// The whole Gateway as processes: redis-server (or the user's Redis), the gateway-api replicas and the
/// gateway-sweeper, started in Aspire's order (Redis, then the services that WaitFor it, each until its
/// /health answers) and stopped in reverse, so no process is left behind.
/// </summary>
public sealed class GatewayStack : IAsyncDisposable
{
    private readonly StackOptions options;
    private readonly StackObserver observer;
    private readonly List<ChildProcess> children = [];
    private ResourceStatus? externalRedis;

    private GatewayStack(StackOptions options, StackObserver observer)
    {
        this.options = options;
        this.observer = observer;
    }

    public string RedisConnectionString { get; private set; } = "";

    public IReadOnlyList<string> ApiUrls { get; private set; } = [];

    public IReadOnlyList<ResourceStatus> Resources =>
        (externalRedis is null ? [] : new[] { externalRedis }).Concat(children.Select(c => c.Status)).ToList();

    /// <summary>Whether <see cref="StartAsync"/> failed for a reason to report in one line (a missing
    /// redis-server or service binary, a resource that exited or did not become ready), not a bug.</summary>
    public static bool IsStartFailure(Exception ex) =>
        ex is RedisServerNotFoundException or ResourceStartException or FileNotFoundException;

    public static async Task<GatewayStack> StartAsync(StackOptions options, StackObserver observer, CancellationToken cancellationToken)
    {
        var stack = new GatewayStack(options, observer);
        try
        {
            await stack.StartRedisAsync(cancellationToken);
            await stack.StartProjectsAsync(cancellationToken);
            return stack;
        }
        catch
        {
            await stack.StopAsync();
            throw;
        }
    }

    /// <summary>Marks every resource as stopping, at once (safe to call from a signal handler).</summary>
    public void ExpectExit()
    {
        foreach (var child in children.ToArray()) child.ExpectExit();
    }

    /// <summary>Projects first (they flush and close their connections), Redis last (SIGTERM: it writes its AOF).</summary>
    public async Task StopAsync()
    {
        ExpectExit();
        await Task.WhenAll(children.Where(c => c.Name != StackPlan.RedisName).Select(c => c.StopAsync(options.StopTimeout)));
        await Task.WhenAll(children.Where(c => c.Name == StackPlan.RedisName).Select(c => c.StopAsync(options.StopTimeout)));
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    private async Task StartRedisAsync(CancellationToken cancellationToken)
    {
        if (options.RedisConnectionString is { Length: > 0 } given)
        {
            RedisConnectionString = given;
            var endpoint = ConfigurationOptions.Parse(given).EndPoints.FirstOrDefault();
            externalRedis = new ResourceStatus(StackPlan.RedisName, ResourceState.External, null, $"redis://{endpoint}", null, null);
            observer.StateChanged?.Invoke(externalRedis);
            return;
        }
        var executable = RedisExecutable.Locate();
        var port = FreePorts.Take(1)[0];
        var password = RandomNumberGenerator.GetHexString(32, lowercase: true);
        var redis = Launch(StackPlan.Redis(options, executable, port, password));
        RedisConnectionString = StackPlan.RedisConnectionString(port, password);
        await WaitForPingAsync(redis, cancellationToken);
        redis.MarkRunning();
    }

    private async Task StartProjectsAsync(CancellationToken cancellationToken)
    {
        var count = options.ApiReplicas + 1;
        var instanceIds = Enumerable.Range(0, count).Select(_ => RandomNumberGenerator.GetHexString(8, lowercase: true)).ToList();
        var specs = StackPlan.Projects(options, RedisConnectionString, FreePorts.Take(count), instanceIds);
        ApiUrls = specs.Where(s => s.Name.StartsWith(StackPlan.ApiName, StringComparison.Ordinal)).Select(s => s.Url!).ToList();
        var projects = specs.Select(Launch).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Task.WhenAll(projects.Select(p => WaitForHealthAsync(http, p, cancellationToken)));
    }

    private ChildProcess Launch(ResourceSpec spec)
    {
        var child = ChildProcess.Start(spec, options.LogDirectory, observer.Output, s => observer.StateChanged?.Invoke(s));
        children.Add(child);
        observer.StateChanged?.Invoke(child.Status);
        return child;
    }

    private async Task WaitForPingAsync(ChildProcess redis, CancellationToken cancellationToken)
    {
        var config = ConfigurationOptions.Parse(RedisConnectionString);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = 1000;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(config);
        await PollAsync(redis, async () =>
        {
            try
            {
                await connection.GetDatabase().PingAsync();
                return true;
            }
            catch (RedisException)
            {
                return false;
            }
        }, "answer PING", cancellationToken);
    }

    private async Task WaitForHealthAsync(HttpClient http, ChildProcess project, CancellationToken cancellationToken)
    {
        var health = new Uri(new Uri(project.Spec.Url!), "/health");
        await PollAsync(project, async () =>
        {
            try
            {
                using var response = await http.GetAsync(health, cancellationToken);
                return response.IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, $"answer 200 on {health}", cancellationToken);
        project.MarkRunning();
    }

    private async Task PollAsync(ChildProcess child, Func<Task<bool>> ready, string what, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (!await ready())
        {
            if (child.Exited.IsCompleted)
            {
                throw new ResourceStartException(
                    $"{child.Name} exited with code {child.Status.ExitCode} before it was ready (log: {child.LogPath}). Last lines:{Environment.NewLine}{child.Tail}");
            }
            if (waited.Elapsed > options.StartTimeout)
            {
                throw new ResourceStartException(
                    $"{child.Name} did not {what} within {options.StartTimeout.TotalSeconds:F0} s (log: {child.LogPath}). Last lines:{Environment.NewLine}{child.Tail}");
            }
            await Task.Delay(100, cancellationToken);
        }
    }
}

public sealed class ResourceStartException(string message) : Exception(message);
