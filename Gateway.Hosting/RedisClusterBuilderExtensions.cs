using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aspire.Hosting;

/// <summary>Adds a Redis Cluster of redis-server processes: the executable counterpart of a managed cluster.</summary>
public static class RedisClusterBuilderExtensions
{
    public const int DefaultMasters = 3;

    /// <summary>
    /// A Redis Cluster of <paramref name="masters"/> masters with one replica each on 127.0.0.1, each node an executable
    /// resource (<c>{name}-0</c> …), then <c>{name}-create</c>, a one-shot <c>redis-cli --cluster create</c> once every
    /// node answers PING (nothing is created when the nodes already form a cluster). Like <see
    /// cref="RedisServerBuilderExtensions.AddRedisServer"/>: a generated password (<c>{name}-password</c>, also each
    /// replica's <c>masterauth</c>), append-only files under <c>.data/{name}</c> (see <see cref="WithEphemeralData"/>).
    /// The resource's one connection string lists every node; it is healthy once every node says <c>cluster_state:ok</c>.
    /// </summary>
    /// <param name="port">The first node's client port; node i uses <c>port + i</c> and bus port <c>port + 10000 + i</c>.
    /// A persisted cluster needs fixed ports: its nodes find each other again at the addresses in their nodes.conf.
    /// Null: ports chosen at start, for an ephemeral cluster.</param>
    /// <exception cref="RedisServerNotFoundException">redis-server or redis-cli is not on the PATH.</exception>
    public static IResourceBuilder<RedisClusterResource> AddRedisCluster(this IDistributedApplicationBuilder builder,
        [ResourceName] string name, int? port = null, IResourceBuilder<ParameterResource>? password = null, int masters = DefaultMasters)
    {
        if (masters < 3) throw new DistributedApplicationException($"A Redis Cluster needs at least 3 masters, not {masters}.");
        if (port is { } first && (first < 1 || first + 10000 + 2 * masters - 1 > 65535))
        {
            throw new DistributedApplicationException($"The cluster's ports {port}..{port + 2 * masters - 1} and their bus ports (+10000) must be below 65536.");
        }
        var passwordParameter = password?.Resource
            ?? ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var cluster = new RedisClusterResource(name, passwordParameter) { DataDirectory = Path.Combine(builder.AppHostDirectory, ".data", name) };
        var server = RedisServerExecutable.Locate();
        var cli = RedisServerExecutable.LocateCli();

        var clusterBuilder = builder.AddResource(cluster)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "RedisCluster", State = KnownResourceStates.NotStarted, Properties = [] })
            .WithIconName("DatabaseStack")
            .ExcludeFromManifest();

        var nodes = new List<IResourceBuilder<RedisClusterNodeResource>>();
        for (var i = 0; i < 2 * masters; i++)
        {
            nodes.Add(builder.AddClusterNode(cluster, $"{name}-{i}", server, port + i));
        }

        var create = builder.AddResource(new RedisClusterCreateResource($"{name}-create", "/bin/sh", builder.AppHostDirectory, cluster))
            .WithEnvironment("REDISCLI_AUTH", passwordParameter) // redis-cli reads the password from here: no argument shows it
            .WithArgs(context =>
            {
                context.Args.Add("-c");
                context.Args.Add(CreateScript);
                context.Args.Add(cli);
                foreach (var node in cluster.Nodes) context.Args.Add(ReferenceExpression.Create($"127.0.0.1:{node.PrimaryEndpoint.Property(EndpointProperty.TargetPort)}"));
            })
            .WithParentRelationship(cluster)
            .WithIconName("PlugConnected")
            .ExcludeFromManifest();
        foreach (var node in nodes) create.WaitFor(node);

        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey,
            _ => new ClusterStateHealthCheck(cluster), failureStatus: null, tags: null));

        // Running once the create step has finished (as Aspire's AddConnectionString does: the waits happen in
        // BeforeResourceStartedEvent); then health checks run, and consumers' WaitFor holds until cluster_state:ok.
        return clusterBuilder
            .WaitForCompletion(create)
            .WithHealthCheck(healthCheckKey)
            .OnInitializeResource(async (resource, e, ct) =>
            {
                await e.Eventing.PublishAsync(new BeforeResourceStartedEvent(resource, e.Services), ct);
                await e.Notifications.PublishUpdateAsync(resource, s => s with { State = KnownResourceStates.Running, StartTimeStamp = DateTime.UtcNow });
                await e.Eventing.PublishAsync(new ConnectionStringAvailableEvent(resource, e.Services), ct);
            });
    }

    /// <summary>Keep the nodes' nodes.conf and append-only files under <paramref name="path"/> (a folder per node).</summary>
    public static IResourceBuilder<RedisClusterResource> WithDataDirectory(this IResourceBuilder<RedisClusterResource> builder, string path)
    {
        builder.Resource.DataDirectory = Path.GetFullPath(path, builder.ApplicationBuilder.AppHostDirectory);
        return builder;
    }

    /// <summary>A throwaway cluster: no append-only file, and its nodes.conf files in a temporary folder emptied at
    /// every start, so every run creates a new cluster.</summary>
    public static IResourceBuilder<RedisClusterResource> WithEphemeralData(this IResourceBuilder<RedisClusterResource> builder)
    {
        builder.Resource.Persistent = false;
        var parent = Path.Combine(Path.GetTempPath(), "gateway-redis-cluster");
        RemoveStaleFolders(parent, builder.Resource.Name);
        builder.Resource.DataDirectory = Path.Combine(parent, $"{builder.Resource.Name}-{Environment.ProcessId}");
        return builder;
    }

    // Throwaway folders of earlier AppHosts whose process is gone: nothing else removes them (a stop may be a SIGKILL).
    private static void RemoveStaleFolders(string parent, string name)
    {
        if (!Directory.Exists(parent)) return;
        foreach (var folder in Directory.EnumerateDirectories(parent, $"{name}-*"))
        {
            if (!int.TryParse(Path.GetFileName(folder)[(name.Length + 1)..], out var pid) || IsRunning(pid)) continue;
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // another AppHost removing it at the same moment
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    // $0 is redis-cli, $1.. the nodes. A node that already knows others or holds slots belongs to a cluster: a
    // persisted cluster restarted with its nodes.conf files, which must not be created again.
    private const string CreateScript = """
        cli="$0"; first="$1"
        info=$("$cli" -h "${first%:*}" -p "${first##*:}" cluster info | tr -d '\r') || exit 1
        known=$(printf '%s\n' "$info" | sed -n 's/^cluster_known_nodes://p')
        assigned=$(printf '%s\n' "$info" | sed -n 's/^cluster_slots_assigned://p')
        if [ "${known:-1}" -gt 1 ] || [ "${assigned:-0}" -gt 0 ]; then
          echo "the nodes already form a cluster ($known nodes known, $assigned slots assigned): nothing to create"
          exit 0
        fi
        exec "$cli" --cluster create "$@" --cluster-replicas 1 --cluster-yes
        """;

    private static IResourceBuilder<RedisClusterNodeResource> AddClusterNode(this IDistributedApplicationBuilder builder,
        RedisClusterResource cluster, string name, string server, int? port)
    {
        var node = new RedisClusterNodeResource(name, "/bin/sh", builder.AppHostDirectory, cluster);
        cluster.nodes.Add(node);
        var healthCheckKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(healthCheckKey,
            _ => new NodePingHealthCheck(node), failureStatus: null, tags: null));

        return builder.AddResource(node)
            .WithEndpoint(port: port, targetPort: port, name: RedisClusterNodeResource.PrimaryEndpointName, isProxied: false)
            .WithEndpoint(port: port + 10000, targetPort: port + 10000, name: RedisClusterNodeResource.BusEndpointName, isProxied: false)
            // As AddRedisServer: the password in an environment variable a shell expands, never in an argument.
            .WithEnvironment("REDIS_PASSWORD", cluster.PasswordParameter)
            .WithArgs(context =>
            {
                context.Args.Add("-c");
                context.Args.Add("exec \"$0\" \"$@\" --requirepass \"$REDIS_PASSWORD\" --masterauth \"$REDIS_PASSWORD\"");
                context.Args.Add(server);
                context.Args.Add("--port");
                context.Args.Add(node.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--cluster-port");
                context.Args.Add(node.BusEndpoint.Property(EndpointProperty.TargetPort));
                foreach (var arg in NodeArgs(node.DataDirectory, cluster.Persistent)) context.Args.Add(arg);
            })
            .OnBeforeResourceStarted((resource, _, _) =>
            {
                if (!resource.Cluster.Persistent && Directory.Exists(resource.DataDirectory)) Directory.Delete(resource.DataDirectory, recursive: true);
                Directory.CreateDirectory(resource.DataDirectory);
                return Task.CompletedTask;
            })
            .WithHealthCheck(healthCheckKey)
            .WithParentRelationship(cluster)
            .WithIconName("Database")
            .ExcludeFromManifest();
    }

    private static IEnumerable<string> NodeArgs(string dataDirectory, bool persistent)
    {
        // nodes.conf lives in --dir. A node is marked failed after 5 s without an answer (Redis' default is 15 s:
        // on one machine's loopback a silent node is a dead one), then its replica takes over.
        string[] node = ["--bind", "127.0.0.1", "--daemonize", "no", "--dir", dataDirectory,
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000"];
        string[] persistence = persistent
            ? ["--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]
            : ["--appendonly", "no", "--save", ""];
        return node.Concat(persistence);
    }

    private sealed class NodePingHealthCheck(RedisClusterNodeResource node) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            await RedisNodeProbe.PingAsync("127.0.0.1", node.PrimaryEndpoint.Port,
                await node.Cluster.PasswordParameter.GetValueAsync(cancellationToken) ?? "", cancellationToken);
    }

    /// <summary>Healthy when every node says cluster_state:ok with all 16384 slots served; Degraded when some node
    /// does not answer but those that do are ok (a master lost, its replica promoted).</summary>
    private sealed class ClusterStateHealthCheck(RedisClusterResource cluster) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var password = await cluster.PasswordParameter.GetValueAsync(cancellationToken) ?? "";
            var silent = new List<string>();
            foreach (var node in cluster.Nodes)
            {
                IReadOnlyDictionary<string, string> info;
                try
                {
                    info = await RedisNodeProbe.ClusterInfoAsync("127.0.0.1", node.PrimaryEndpoint.Port, password, cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or OperationCanceledException or RedisReplyException)
                {
                    silent.Add(node.Name);
                    continue;
                }
                if (info.GetValueOrDefault("cluster_state") != "ok")
                {
                    return HealthCheckResult.Unhealthy($"{node.Name}: cluster_state:{info.GetValueOrDefault("cluster_state")}, " +
                        $"{info.GetValueOrDefault("cluster_slots_ok")} of 16384 slots ok");
                }
            }
            return silent.Count == 0 ? HealthCheckResult.Healthy()
                : silent.Count == cluster.Nodes.Count ? HealthCheckResult.Unhealthy("no node answers")
                : HealthCheckResult.Degraded($"not answering: {string.Join(", ", silent)}");
        }
    }
}
