using System.Net.Http.Headers;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Tests.AppHost;

/// <summary>The real Gateway.AppHost, started in this process by Aspire.Hosting.Testing (DCP, real processes).</summary>
public static class TestAppHost
{
    public const string ApiKey = "gw-test-api-key";

    /// <summary>Retention of seconds, so a test sees runs archived and tombstones expire; an ephemeral Redis.</summary>
    public static readonly string[] ShortRetention =
    [
        "--Redis:Persistent=false",
        $"--Parameters:gateway-api-key={ApiKey}",
        "--Registry:RunArchiveAfterEnd=00:00:02",
        "--Registry:SessionRunArchiveAfterCleanup=00:00:02",
        // (5 s: a test reads the tombstones after a sweep removed their runs, which may come late on a loaded machine)
        "--Registry:TombstoneRetention=00:00:05",
        "--Registry:DedupeRetention=00:00:02",
        "--Registry:ContextIdleTimeout=00:00:08",
    ];

    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Builds and starts the AppHost with <see cref="ShortRetention"/> and <paramref name="args"/>, and
    /// waits until gateway-api and gateway-sweeper are healthy (so redis is too: they WaitFor it).</summary>
    public static async Task<DistributedApplication> StartAsync(params string[] args)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Gateway_AppHost>([.. ShortRetention, .. args]);
        var app = await builder.BuildAsync();
        using var timeout = new CancellationTokenSource(StartTimeout);
        await app.StartAsync(timeout.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("gateway-api", timeout.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("gateway-sweeper", timeout.Token);
        return app;
    }

    public static HttpClient CreateApiClient(this DistributedApplication app)
    {
        var http = app.CreateHttpClient("gateway-api", "http");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        return http;
    }

    /// <summary>The process of <paramref name="resourceName"/>, as the orchestrator reports it once it is healthy.</summary>
    public static async Task<int> PidOfAsync(this DistributedApplication app, string resourceName)
    {
        var state = await app.ResourceNotifications.WaitForResourceHealthyAsync(resourceName).WaitAsync(StartTimeout);
        return Convert.ToInt32(state.Snapshot.Properties.Single(p => p.Name == "executable.pid").Value);
    }

    /// <summary>The resources that are a redis-server process: one, or each node of a cluster.</summary>
    public static IReadOnlyList<string> RedisProcessResources(DistributedApplication app) =>
        app.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => r is RedisServerResource or RedisClusterNodeResource).Select(r => r.Name).ToList();

    /// <summary>Every process of the run: each resource's, with what it started (`dotnet run` starts the service).</summary>
    public static async Task<IReadOnlyList<int>> AllProcessesAsync(this DistributedApplication app)
    {
        var pids = new List<int>();
        foreach (var name in RedisProcessResources(app).Append("gateway-api").Append("gateway-sweeper")) pids.AddRange(Processes.Tree(await app.PidOfAsync(name)));
        return pids;
    }
}
