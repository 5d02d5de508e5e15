namespace Gateway.AppHost.Extensions;

public static class RedisTopology
{
    /// <summary>The first node's port of a persisted cluster (nodes 7000-7005, bus ports 17000-17005): fixed, since
    /// the nodes find each other again at the addresses their nodes.conf files hold.</summary>
    public const int DefaultClusterPort = 7000;

    /// <summary>
    /// The registry store, chosen by <c>Redis:Topology</c> and <c>Redis:Runtime</c>: one redis-server (<c>single</c>,
    /// the default) or a Redis Cluster of 3 masters with a replica each (<c>cluster</c>, executable runtime only);
    /// as a process (<c>executable</c>, default: no container runtime needed) or Aspire.Hosting.Redis's container.
    /// Either way the same name and one connection string reach the consumers. <c>Redis:Persistent=false</c> keeps no data.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddGatewayRedis(this IDistributedApplicationBuilder builder, string name)
    {
        var persistent = builder.Configuration.GetValue("Redis:Persistent", true);
        var runtime = builder.Configuration["Redis:Runtime"] ?? "executable";
        var topology = builder.Configuration["Redis:Topology"] ?? "single";
        if (runtime is not ("executable" or "container"))
        {
            throw new DistributedApplicationException($"Redis:Runtime must be 'executable' or 'container', not '{runtime}'.");
        }
        switch (topology)
        {
            case "single" when runtime == "executable":
                var server = builder.AddRedisServer(name);
                return persistent ? server : server.WithEphemeralData();
            case "single":
                var container = builder.AddRedis(name);
                return persistent ? container.WithDataVolume().WithPersistence() : container;
            case "cluster" when runtime == "executable":
                // Ephemeral: ports chosen at start, as for every other resource; persisted: fixed ports (see above).
                var cluster = builder.AddRedisCluster(name, port: persistent ? builder.Configuration.GetValue("Redis:ClusterPort", DefaultClusterPort) : null);
                return persistent ? cluster : cluster.WithEphemeralData();
            case "cluster":
                throw new DistributedApplicationException(
                    "Redis:Topology=cluster runs redis-server processes (Redis:Runtime=executable); Aspire.Hosting.Redis has no cluster container. " +
                    "Use --Redis:Runtime=executable with redis-server installed, or --Redis:Topology=single with the container.");
            default:
                throw new DistributedApplicationException($"Redis:Topology must be 'single' or 'cluster', not '{topology}'.");
        }
    }
}
