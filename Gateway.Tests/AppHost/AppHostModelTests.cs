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
