using System.Net;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Gateway.Tests.Infrastructure;
using StackExchange.Redis;

namespace Gateway.Tests.AppHost;

/// <summary>
/// A persisted cluster (AddRedisCluster with its data folder and fixed ports, real redis-server processes under DCP)
/// stopped and started again: the create step creates nothing the second time and the cluster comes back healthy
/// with what was written before.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class RedisClusterRestartTests : IDisposable
{
    private readonly DirectoryInfo data = Directory.CreateTempSubdirectory("gateway-cluster-data-");

    [Fact]
    public async Task A_persisted_cluster_restarts_without_being_created_again_and_keeps_its_keys()
    {
        var port = ClusterPorts();
        const string password = "cluster-restart-test-password";

        var first = await RunAsync(port, password, async redis =>
            await redis.GetDatabase().StringSetAsync("gw:{03}:kept", "before the restart"));
        var second = await RunAsync(port, password, async redis =>
            Assert.Equal("before the restart", (string?)await redis.GetDatabase().StringGetAsync("gw:{03}:kept")));

        // Created again, or on nodes that are not empty, the cluster would have new node ids or a failed step.
        Assert.Equal(0, first.CreateExitCode);
        Assert.Equal(0, second.CreateExitCode);
        Assert.Equal(6, first.NodeIds.Count);
        Assert.Equal(first.NodeIds, second.NodeIds);
    }

    /// <summary>Starts the cluster, waits until it is healthy (cluster_state:ok), runs <paramref name="use"/> on it,
    /// stops it; returns the create step's exit code and the cluster's node ids.</summary>
    private async Task<(int? CreateExitCode, IReadOnlySet<string> NodeIds)> RunAsync(int port, string password, Func<ConnectionMultiplexer, Task> use)
    {
        // The testing builder needs an AppHost assembly: the Gateway's, emptied, so only the cluster runs.
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Gateway_AppHost>(["--Redis:Persistent=false"]);
        foreach (var resource in builder.Resources.ToList()) builder.Resources.Remove(resource);
        var secret = builder.AddParameter("cluster-password", password, secret: true);
        builder.AddRedisCluster("cache", port, secret).WithDataDirectory(data.FullName);
        await using var app = await builder.BuildAsync();
        using var timeout = new CancellationTokenSource(TestAppHost.StartTimeout);
        await app.StartAsync(timeout.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync("cache", timeout.Token);
        var create = await app.ResourceNotifications.WaitForResourceAsync("cache-create", e => e.Snapshot.ExitCode is not null, timeout.Token);
        HashSet<string> nodeIds;
        await using (var redis = await ConnectionMultiplexer.ConnectAsync((await app.GetConnectionStringAsync("cache", timeout.Token))!))
        {
            await use(redis);
            nodeIds = redis.GetServers()[0].ClusterConfiguration!.Nodes.Select(n => n.NodeId).ToHashSet();
        }
        await app.StopAsync(timeout.Token);
        return (create.Snapshot.ExitCode, nodeIds);
    }

    /// <summary>A first port with the next five and their bus ports (+10000) free, in a range no other test uses.</summary>
    private static int ClusterPorts()
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = Random.Shared.Next(21000, 29000);
            if (Enumerable.Range(first, 6).SelectMany(p => new[] { p, p + 10000 }).All(IsFree)) return first;
        }
        throw new InvalidOperationException("No free run of cluster ports.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public void Dispose() => data.Delete(recursive: true);
}
