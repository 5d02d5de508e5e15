using System.Diagnostics;
using StackExchange.Redis;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// A real Redis Cluster on loopback, owned by one test class (IClassFixture&lt;RedisCluster&gt;): 3 masters with
/// 1 replica each, Debian's redis-server with <c>--cluster-enabled yes</c>, joined by
/// <c>redis-cli --cluster create</c>, which gives the masters the slot ranges 0-5460, 5461-10922 and
/// 10923-16383. A node can be SIGKILLed and started again (failover tests): with a 1 s node timeout its replica
/// takes over within a few seconds.
/// </summary>
public sealed class RedisCluster : IRedisStore, IAsyncLifetime
{
    public const int MasterCount = 3;
    public static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(1);

    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("gateway-cluster-");
    private ConnectionMultiplexer? admin;

    public RedisCluster()
    {
        var ports = new HashSet<int>();
        while (ports.Count < 4 * MasterCount) ports.Add(FreePorts.Next());
        var (clientPorts, busPorts) = (ports.Take(2 * MasterCount).ToList(), ports.Skip(2 * MasterCount).ToList());
        Nodes = clientPorts.Select((port, i) => new RedisServer
        {
            Port = port,
            DataDirectory = folder.FullName,
            ServerArguments =
            [
                "--cluster-enabled", "yes", "--cluster-port", busPorts[i].ToString(),
                "--cluster-config-file", Path.Combine(folder.FullName, $"nodes-{port}.conf"),
                "--cluster-node-timeout", ((int)NodeTimeout.TotalMilliseconds).ToString(),
                // a replica's first sync starts at once, not after the default 5 s wait for more replicas
                "--repl-diskless-sync-delay", "0",
            ],
        }).ToList();
    }

    /// <summary>Every node; the first three start as masters, each later one as a replica.</summary>
    public IReadOnlyList<RedisServer> Nodes { get; }

    public string ConnectionString =>
        string.Join(",", Nodes.Take(MasterCount).Select(n => $"127.0.0.1:{n.Port}")) + ",allowAdmin=true";

    public IConnectionMultiplexer Admin => admin ?? throw new InvalidOperationException("The cluster is not started.");

    /// <summary>The masters as the admin connection sees them now.</summary>
    public IReadOnlyList<IServer> Masters => Admin.GetServers().Where(s => s.IsConnected && !s.IsReplica).ToList();

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Nodes.Select(n => n.StartAsync()));
        await CreateAsync();
        admin = await ConnectionMultiplexer.ConnectAsync(ConnectionString + ",abortConnect=false");
        await Eventually.TrueAsync(() => Task.FromResult(Masters.Count == MasterCount), "the client sees three masters");
    }

    public async Task DisposeAsync()
    {
        admin?.Dispose();
        await Task.WhenAll(Nodes.Select(n => n.StopAsync()));
        folder.Delete(recursive: true);
    }

    public Task FlushAsync() => Task.WhenAll(Masters.Select(m => m.FlushAllDatabasesAsync()));

    public async Task<long> KeyCountAsync() => (await Task.WhenAll(Masters.Select(m => m.DatabaseSizeAsync()))).Sum();

    public IEnumerable<RedisKey> Keys() => Masters.SelectMany(m => m.Keys(pattern: "*")).ToList();

    /// <summary>Waits until every node that runs agrees the cluster is whole (every slot served, state ok) and
    /// every replica that runs has synced with its master, so that it could take over.</summary>
    public Task HealthyAsync(TimeSpan? within = null) => Eventually.TrueAsync(async () =>
    {
        foreach (var node in Nodes.Where(n => n.Pid is not null))
        {
            var info = await InfoAsync(node.Port, "CLUSTER", "INFO");
            if (!info.Contains("cluster_state:ok") || !info.Contains("cluster_slots_ok:16384")) return false;
            var replication = await InfoAsync(node.Port, "INFO", "replication");
            if (replication.Contains("role:slave") && !replication.Contains("master_link_status:up")) return false;
        }
        return true;
    }, "every node reports cluster_state:ok with all 16384 slots, and every replica is in sync", within ?? TimeSpan.FromSeconds(30));

    private async Task CreateAsync()
    {
        var info = new ProcessStartInfo(RedisCli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--cluster", "create" }.Concat(Nodes.Select(n => $"127.0.0.1:{n.Port}"))
                     .Concat(["--cluster-replicas", "1", "--cluster-yes"]))
        {
            info.ArgumentList.Add(arg);
        }
        using var create = Process.Start(info) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = create.StandardOutput.ReadToEndAsync();
        var errors = create.StandardError.ReadToEndAsync();
        await create.WaitForExitAsync();
        if (create.ExitCode != 0)
        {
            throw new InvalidOperationException($"redis-cli --cluster create failed ({create.ExitCode}): {await output}{await errors}");
        }
        await HealthyAsync();
    }

    private static async Task<string> InfoAsync(int port, string command, string section)
    {
        try
        {
            await using var node = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},connectTimeout=1000");
            return (string)(await node.GetServer("127.0.0.1", port).ExecuteAsync(command, section))!;
        }
        catch (RedisConnectionException)
        {
            return "";
        }
    }

    private static string RedisCli { get; } = Path.Combine(Path.GetDirectoryName(RedisServer.Executable)!, "redis-cli");
}
