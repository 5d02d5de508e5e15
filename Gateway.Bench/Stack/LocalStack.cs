using System.Net;
using System.Net.Sockets;

namespace Gateway.Bench.Stack;

/// <summary>
/// The benchmark's own stack: redis-server, gateway-api and gateway-sweeper as separate processes on loopback,
/// with the environment an Aspire AppHost gives them (ConnectionStrings__redis, OTEL_SERVICE_NAME) and the
/// short retention of <see cref="StackSettings"/>.
/// </summary>
public sealed class LocalStack : IAsyncDisposable
{
    private readonly List<ChildProcess> children = [];

    private LocalStack() { }

    public required string RedisConnection { get; init; }

    public required Uri ApiUrl { get; init; }

    public ChildProcess Api => children.Single(c => c.Name == "gateway-api");

    public ChildProcess Sweeper => children.Single(c => c.Name == "gateway-sweeper");

    public static async Task<LocalStack> StartAsync(CancellationToken cancellationToken)
    {
        var redisPort = FreePort();
        var apiPort = FreePort();
        var sweeperPort = FreePort();
        var stack = new LocalStack
        {
            RedisConnection = $"127.0.0.1:{redisPort}",
            ApiUrl = new Uri($"http://127.0.0.1:{apiPort}"),
        };
        try
        {
            stack.children.Add(ChildProcess.Start("redis", FindRedisServer(),
                ["--port", $"{redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"]));
            await WaitForPortAsync(stack.children[0], redisPort, cancellationToken);

            var shared = new Dictionary<string, string>(StackSettings.Registry)
            {
                ["ConnectionStrings__redis"] = stack.RedisConnection,
                ["DOTNET_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Gateway"] = "Information",
                ["Logging__Console__FormatterName"] = "json",
                ["Gateway__ApiKeys__0__Key"] = StackSettings.ApiKey,
                ["Gateway__ApiKeys__0__Tenant"] = StackSettings.Tenant,
            };
            stack.children.Add(StartService("gateway-api", "Gateway.Api", apiPort, shared));
            stack.children.Add(StartService("gateway-sweeper", "Gateway.Sweeper", sweeperPort, shared));
            await WaitForHealthAsync(stack.children[1], stack.ApiUrl, cancellationToken);
            await WaitForHealthAsync(stack.children[2], new Uri($"http://127.0.0.1:{sweeperPort}"), cancellationToken);
            return stack;
        }
        catch
        {
            await stack.DisposeAsync();
            throw;
        }
    }

    private static ChildProcess StartService(string name, string project, int port, Dictionary<string, string> shared)
    {
        var environment = new Dictionary<string, string>(shared)
        {
            ["OTEL_SERVICE_NAME"] = name,
            ["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={name}-0",
        };
        return ChildProcess.Start(name, "dotnet", [ServiceAssembly(project), "--urls", $"http://127.0.0.1:{port}"], environment);
    }

    /// <summary>A service's build output beside the benchmark's own (same configuration and framework).</summary>
    private static string ServiceAssembly(string project)
    {
        var here = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = here.Name;
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Gateway.Aspire.sln"))) root = root.Parent;
        var path = Path.Combine(root?.FullName ?? throw new InvalidOperationException("Gateway.Aspire.sln not found above " + here),
            project, "bin", configuration, framework, project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{project} is not built: run `dotnet build -c {configuration}`.", path);
    }

    private static string FindRedisServer() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin")
            .Select(dir => Path.Combine(dir, "redis-server")).FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("redis-server is not installed: run `sudo apt-get install -y redis-server`.");

    private static async Task WaitForPortAsync(ChildProcess child, int port, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            if (child.HasExited) throw new InvalidOperationException($"{child.Name} exited at start:\n{child.Tail()}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
        throw new TimeoutException($"{child.Name} did not listen on port {port} within 10 s.");
    }

    private static async Task WaitForHealthAsync(ChildProcess child, Uri url, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var attempt = 0; attempt < 300; attempt++)
        {
            if (child.HasExited) throw new InvalidOperationException($"{child.Name} exited at start:\n{child.Tail()}");
            try
            {
                if ((await http.GetAsync(new Uri(url, "/health"), cancellationToken)).IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested) { }
            await Task.Delay(100, cancellationToken);
        }
        throw new TimeoutException($"{child.Name} was not healthy at {url}health within 30 s:\n{child.Tail()}");
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        // Services first, then Redis, so the services stop cleanly.
        for (var i = children.Count - 1; i >= 0; i--) await children[i].DisposeAsync();
        children.Clear();
    }
}
