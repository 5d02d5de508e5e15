namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A Redis Cluster of redis-server processes on loopback (<see cref="RedisClusterNodeResource"/>, its children).
/// Consumers see one connection string, every node's <c>host:port</c> and the password, from which
/// StackExchange.Redis discovers the cluster; it is Running once the nodes are joined, healthy at <c>cluster_state:ok</c>.
/// </summary>
public sealed class RedisClusterResource(string name, ParameterResource password)
    : Resource(name), IResourceWithConnectionString, IResourceWithWaitSupport
{
    public ParameterResource PasswordParameter { get; } = password;

    /// <summary>Every node, the masters-to-be first (redis-cli --cluster create makes the first ones masters).</summary>
    public IReadOnlyList<RedisClusterNodeResource> Nodes => nodes;

    internal readonly List<RedisClusterNodeResource> nodes = [];

    /// <summary>Where each node keeps its nodes.conf and append-only file (a folder per node); for an ephemeral
    /// cluster a folder emptied at every start, since a cluster node always writes its nodes.conf.</summary>
    public string DataDirectory { get; internal set; } = "";

    public bool Persistent { get; internal set; } = true;

    public ReferenceExpression ConnectionStringExpression
    {
        get
        {
            var builder = new ReferenceExpressionBuilder();
            foreach (var node in nodes)
            {
                builder.Append($"{node.PrimaryEndpoint.Property(EndpointProperty.HostAndPort)},");
            }
            builder.Append($"password={PasswordParameter}");
            return builder.Build();
        }
    }
}
