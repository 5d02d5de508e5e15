namespace Gateway.AppHost.Extensions;

public static class RedisTopology
{
    /// <summary>
    /// The registry store, chosen by <c>Redis:Runtime</c>: <c>executable</c> (default) runs redis-server as a
    /// process (no container runtime needed); <c>container</c> runs Aspire.Hosting.Redis's container. Either
    /// way the same name and connection string reach the consumers. <c>Redis:Persistent=false</c> keeps no data.
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddGatewayRedis(this IDistributedApplicationBuilder builder, string name)
    {
        var persistent = builder.Configuration.GetValue("Redis:Persistent", true);
        var runtime = builder.Configuration["Redis:Runtime"] ?? "executable";
        switch (runtime)
        {
            case "executable":
                var server = builder.AddRedisServer(name);
                return persistent ? server : server.WithEphemeralData();
            case "container":
                var container = builder.AddRedis(name);
                return persistent ? container.WithDataVolume().WithPersistence() : container;
            default:
                throw new DistributedApplicationException($"Redis:Runtime must be 'executable' or 'container', not '{runtime}'.");
        }
    }
}
