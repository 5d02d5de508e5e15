using System.Globalization;
using System.Net;
using StackExchange.Redis;

namespace Gateway.Bench.Measure;

/// <summary>
/// The Redis under test as its nodes: one server, or a cluster's masters and replicas (from the cluster's own
/// configuration: a client's idea of a node's role can lag it). Each node with its process (for CPU, when it runs on
/// this machine) and, on a master, the slot ranges it serves and how many of the registry's shards those hold.
/// </summary>
public sealed class RedisNodes
{
    public sealed record Node(IServer Server, string Role, int ProcessId, string Slots, int Shards)
    {
        public string Name => $"{Role} {Server.EndPoint}";
    }

    private RedisNodes(IReadOnlyList<Node> nodes, bool isCluster) => (All, IsCluster) = (nodes, isCluster);

    public IReadOnlyList<Node> All { get; }

    public bool IsCluster { get; }

    public IReadOnlyList<IServer> Masters => All.Where(n => n.Role == "master").Select(n => n.Server).ToList();

    /// <summary>The first master: the server the single-server measures (ceiling, sweep cost) use.</summary>
    public IServer Primary => Masters[0];

    public static async Task<RedisNodes> ReadAsync(IConnectionMultiplexer redis, int shards)
    {
        var first = redis.GetServers()[0];
        if (first.ClusterConfiguration is not { } cluster)
        {
            return new RedisNodes([await NodeAsync(first, "master", "all", shards)], isCluster: false);
        }
        var nodes = new List<Node>();
        foreach (var node in cluster.Nodes.OrderBy(n => n.IsReplica).ThenBy(n => n.EndPoint?.ToString(), StringComparer.Ordinal))
        {
            var server = redis.GetServer(node.EndPoint!);
            var slots = string.Join(" ", node.Slots.Select(r => $"{r.From}-{r.To}"));
            var held = Enumerable.Range(0, shards).Count(n => node.Slots.Any(r => r.From <= redis.HashSlot($"gw:{{{n:x2}}}:") && redis.HashSlot($"gw:{{{n:x2}}}:") <= r.To));
            nodes.Add(node.IsReplica
                ? await NodeAsync(server, "replica", $"of {cluster.Nodes.FirstOrDefault(m => m.NodeId == node.ParentNodeId)?.EndPoint}", 0)
                : await NodeAsync(server, "master", slots, held));
        }
        return new RedisNodes(nodes, isCluster: true);
    }

    private static async Task<Node> NodeAsync(IServer server, string role, string slots, int shards)
    {
        var info = (await server.InfoAsync("server")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
        return new Node(server, role, int.Parse(info["process_id"], CultureInfo.InvariantCulture), slots, shards);
    }

    /// <summary>CPU seconds each node has used so far; null for a node that is not a process of this machine.</summary>
    public Dictionary<Node, double?> CpuSeconds() =>
        All.ToDictionary(n => n, n => IsLocal(n.Server.EndPoint) ? ProcStats.CpuSeconds(n.ProcessId) : null);

    private static bool IsLocal(EndPoint endPoint) => endPoint switch
    {
        IPEndPoint ip => IPAddress.IsLoopback(ip.Address),
        DnsEndPoint dns => dns.Host is "localhost",
        _ => false,
    };
}
