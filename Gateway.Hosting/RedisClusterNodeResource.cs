namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// One redis-server of a <see cref="RedisClusterResource"/>: its client port and its cluster bus port, both on
/// 127.0.0.1 and not proxied (nodes tell clients and each other their real addresses in redirects and gossip).
/// Shown under the cluster by a parent relationship, not <c>IResourceWithParent</c>: a child takes on its parent's
/// health checks, and a node must be healthy (it answers PING) before the cluster exists.
/// </summary>
public sealed class RedisClusterNodeResource(string name, string command, string workingDirectory, RedisClusterResource cluster)
    : ExecutableResource(name, command, workingDirectory)
{
    public const string PrimaryEndpointName = "tcp", BusEndpointName = "bus";

    public RedisClusterResource Cluster { get; } = cluster;

    public EndpointReference PrimaryEndpoint => field ??= new(this, PrimaryEndpointName);

    public EndpointReference BusEndpoint => field ??= new(this, BusEndpointName);

    /// <summary>Its nodes.conf and append-only file.</summary>
    public string DataDirectory => Path.Combine(Cluster.DataDirectory, Name);
}
