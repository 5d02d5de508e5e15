using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Gateway.Tests.AppHost;

/// <summary>The AppHost's application model as its settings shape it, read without starting anything.</summary>
public sealed class AppHostModelTests
{
    private static async Task<IDistributedApplicationTestingBuilder> ModelAsync(params string[] args) =>
        await DistributedApplicationTestingBuilder.CreateAsync<Projects.Gateway_AppHost>(args);

    private static IResource Resource(IDistributedApplicationTestingBuilder builder, string name) =>
        builder.Resources.Single(r => r.Name == name);

    [Fact]
    public async Task Redis_is_a_redis_server_process_by_default_with_its_data_kept_beside_the_apphost()
    {
        var builder = await ModelAsync();

        var redis = Assert.IsType<RedisServerResource>(Resource(builder, "redis"));
        Assert.Equal(Path.Combine(builder.AppHostDirectory, ".data", "redis"), redis.DataDirectory);
        Assert.True(redis.PasswordParameter.Secret);
        Assert.Contains(redis.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == "redis_check");
    }

    [Fact]
    public async Task Redis_is_ephemeral_when_asked()
    {
        var redis = Assert.IsType<RedisServerResource>(Resource(await ModelAsync("--Redis:Persistent=false"), "redis"));

        Assert.Null(redis.DataDirectory);
    }

    [Fact]
    public async Task With_a_container_runtime_redis_is_aspires_container_under_the_same_name()
    {
        var builder = await ModelAsync("--Redis:Runtime=container");

        Assert.IsType<RedisResource>(Resource(builder, "redis"));
        Assert.DoesNotContain(builder.Resources, r => r is RedisServerResource);
    }

    [Fact]
    public async Task The_cluster_topology_is_three_masters_and_three_replicas_each_a_process_with_its_own_data_and_fixed_ports()
    {
        var builder = await ModelAsync("--Redis:Topology=cluster");

        var cluster = Assert.IsType<RedisClusterResource>(Resource(builder, "redis"));
        Assert.True(cluster.PasswordParameter.Secret);
        Assert.True(cluster.Persistent);
        Assert.Equal(Path.Combine(builder.AppHostDirectory, ".data", "redis"), cluster.DataDirectory);
        Assert.Contains(cluster.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == "redis_check");
        Assert.Equal(6, cluster.Nodes.Count);
        for (var i = 0; i < 6; i++)
        {
            var node = Assert.IsType<RedisClusterNodeResource>(Resource(builder, $"redis-{i}"));
            Assert.Same(cluster.Nodes[i], node);
            Assert.Equal(Path.Combine(cluster.DataDirectory, $"redis-{i}"), node.DataDirectory);
            var endpoints = node.Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name);
            // A persisted cluster's nodes find each other again at the ports their nodes.conf holds.
            Assert.Equal(7000 + i, endpoints["tcp"].Port);
            Assert.Equal(17000 + i, endpoints["bus"].Port);
            Assert.All(endpoints.Values, e => Assert.False(e.IsProxied));
            Assert.Contains(node.Annotations.OfType<HealthCheckAnnotation>(), h => h.Key == $"redis-{i}_check");
            Assert.Contains(node.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource == cluster && r.Type == "Parent");
        }

        // The create step waits for every node to answer; the cluster waits for the create step to finish.
        var create = Assert.IsType<RedisClusterCreateResource>(Resource(builder, "redis-create"));
        Assert.Equal(cluster.Nodes, create.Annotations.OfType<WaitAnnotation>().Where(w => w.WaitType == WaitType.WaitUntilHealthy).Select(w => w.Resource));
        Assert.Contains(cluster.Annotations.OfType<WaitAnnotation>(), w => w.Resource == create && w.WaitType == WaitType.WaitForCompletion);
    }

    [Fact]
    public async Task An_ephemeral_cluster_keeps_no_data_and_takes_ports_chosen_at_start()
    {
        var cluster = Assert.IsType<RedisClusterResource>(Resource(await ModelAsync("--Redis:Topology=cluster", "--Redis:Persistent=false"), "redis"));

        Assert.False(cluster.Persistent);
        Assert.StartsWith(Path.GetTempPath(), cluster.DataDirectory, StringComparison.Ordinal);
        Assert.All(cluster.Nodes.SelectMany(n => n.Annotations.OfType<EndpointAnnotation>()), e => Assert.Null(e.Port));
    }

    [Fact]
    public async Task An_ephemeral_cluster_removes_the_folders_of_earlier_apphosts_that_are_gone_and_no_others()
    {
        var parent = Path.Combine(Path.GetTempPath(), "gateway-redis-cluster");
        using var gone = Process.Start("true")!;
        await gone.WaitForExitAsync();
        var (stale, live) = (Path.Combine(parent, $"redis-{gone.Id}"), Path.Combine(parent, $"redis-{Environment.ProcessId}-other"));
        var running = Path.Combine(parent, $"redis-{Environment.ProcessId}");
        foreach (var folder in new[] { stale, live, running }) Directory.CreateDirectory(folder);

        await ModelAsync("--Redis:Topology=cluster", "--Redis:Persistent=false");

        Assert.False(Directory.Exists(stale));
        Assert.True(Directory.Exists(running)); // this process's own, and a name that is no pid, are kept
        Assert.True(Directory.Exists(live));
        Directory.Delete(live);
        Directory.Delete(running);
    }

    [Fact]
    public async Task Both_services_reference_the_cluster_and_wait_for_it()
    {
        var builder = await ModelAsync("--Redis:Topology=cluster");
        var redis = Resource(builder, "redis");

        foreach (var name in new[] { "gateway-api", "gateway-sweeper" })
        {
            var project = Assert.IsType<ProjectResource>(Resource(builder, name));
            Assert.Contains(project.Annotations.OfType<WaitAnnotation>(), w => w.Resource == redis);
            Assert.Contains(project.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource == redis && r.Type == "Reference");
        }
    }

    [Fact]
    public async Task A_cluster_in_containers_stops_the_apphost_saying_what_runs_instead()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ModelAsync("--Redis:Topology=cluster", "--Redis:Runtime=container"));

        Assert.Contains("Redis:Topology=cluster runs redis-server processes (Redis:Runtime=executable)", error.ToString());
    }

    [Fact]
    public async Task An_unknown_topology_stops_the_apphost_naming_the_choices()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ModelAsync("--Redis:Topology=galaxy"));

        Assert.Contains("Redis:Topology must be 'single' or 'cluster'", error.ToString());
    }

    [Theory]
    [InlineData("executable")]
    [InlineData("container")]
    public async Task Both_services_reference_redis_wait_for_it_and_report_their_health(string runtime)
    {
        var builder = await ModelAsync($"--Redis:Runtime={runtime}");
        var redis = Resource(builder, "redis");

        foreach (var name in new[] { "gateway-api", "gateway-sweeper" })
        {
            var project = Assert.IsType<ProjectResource>(Resource(builder, name));
            Assert.Contains(project.Annotations.OfType<WaitAnnotation>(), w => w.Resource == redis);
            Assert.Contains(project.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Resource == redis && r.Type == "Reference");
            Assert.Contains(project.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        }
    }

    [Fact]
    public async Task Api_replicas_come_from_configuration_and_default_to_one()
    {
        Assert.Equal(1, Resource(await ModelAsync(), "gateway-api").GetReplicaCount());
        Assert.Equal(3, Resource(await ModelAsync("--Gateway:ApiReplicas=3"), "gateway-api").GetReplicaCount());
    }

    [Fact]
    public async Task The_keys_are_secret_parameters()
    {
        var builder = await ModelAsync();

        Assert.True(Assert.IsType<ParameterResource>(Resource(builder, "gateway-api-key")).Secret);
        Assert.True(Assert.IsType<ParameterResource>(Resource(builder, "gateway-sweeper-admin-key")).Secret);
    }

    [Fact]
    public async Task The_sweeper_offers_the_operators_commands()
    {
        var sweeper = Resource(await ModelAsync(), "gateway-sweeper");

        var commands = sweeper.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name).ToList();
        Assert.Contains("sweep-now", commands);
        Assert.Contains("registry-snapshot", commands);
    }

    [Fact]
    public async Task An_unknown_redis_runtime_stops_the_apphost_naming_the_choices()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => ModelAsync("--Redis:Runtime=podman-in-the-cloud"));

        Assert.Contains("Redis:Runtime must be 'executable' or 'container'", error.ToString());
    }
}
