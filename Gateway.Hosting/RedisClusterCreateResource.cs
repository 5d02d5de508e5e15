namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// The one-shot step that joins the nodes: <c>redis-cli --cluster create … --cluster-replicas 1 --cluster-yes</c>,
/// run once every node answers; on a cluster that already exists (a persisted one, restarted) it creates nothing.
/// </summary>
/// <remarks>Under the cluster by a parent relationship, as the nodes (see <see cref="RedisClusterNodeResource"/>).</remarks>
public sealed class RedisClusterCreateResource(string name, string command, string workingDirectory, RedisClusterResource cluster)
    : ExecutableResource(name, command, workingDirectory)
{
    public RedisClusterResource Cluster { get; } = cluster;
}
