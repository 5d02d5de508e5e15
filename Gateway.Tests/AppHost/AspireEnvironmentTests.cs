using Gateway.Hosting;

namespace Gateway.Tests.AppHost;

/// <summary>Each child gets the environment Aspire would inject, under Aspire's names.</summary>
public sealed class AspireEnvironmentTests
{
    private const string Redis = "127.0.0.1:6400,password=secret";

    private static StackOptions Options(int replicas, OtlpExport? otlp = null) => new()
    {
        DataDirectory = Path.GetTempPath(),
        Projects = ProjectOutputs.FromAssembly(typeof(AspireEnvironmentTests).Assembly),
        ApiKey = new ApiKey("gw-dev-key", "dev"),
        ApiReplicas = replicas,
        Otlp = otlp,
    };

    private static IReadOnlyList<ResourceSpec> Plan(StackOptions options) =>
        StackPlan.Projects(options, Redis, [5001, 5002, 5003], ["i-api0", "i-api1", "i-sweep"]);

    [Fact]
    public void Every_project_gets_the_redis_connection_string_service_discovery_and_its_own_identity()
    {
        var plan = Plan(Options(replicas: 2));

        Assert.Equal(["gateway-api-0", "gateway-api-1", "gateway-sweeper"], plan.Select(p => p.Name));
        foreach (var project in plan)
        {
            Assert.Equal(Redis, project.Environment["ConnectionStrings__redis"]);
            Assert.Equal("http://127.0.0.1:5001", project.Environment["services__gateway-api__http__0"]);
            Assert.Equal("http://127.0.0.1:5002", project.Environment["services__gateway-api__http__1"]);
            Assert.False(project.Environment.ContainsKey("services__gateway-api__http__2"));
            Assert.Equal(project.Url, project.Environment["ASPNETCORE_URLS"]);
        }
        Assert.Equal(["http://127.0.0.1:5001", "http://127.0.0.1:5002", "http://127.0.0.1:5003"], plan.Select(p => p.Url));
        Assert.Equal(["gateway-api", "gateway-api", "gateway-sweeper"], plan.Select(p => p.Environment["OTEL_SERVICE_NAME"]));
        Assert.Equal(["service.instance.id=i-api0", "service.instance.id=i-api1", "service.instance.id=i-sweep"],
            plan.Select(p => p.Environment["OTEL_RESOURCE_ATTRIBUTES"]));
    }

    [Fact]
    public void Only_the_api_gets_the_dev_api_key()
    {
        var plan = Plan(Options(replicas: 2));

        foreach (var api in plan.Where(p => p.Name.StartsWith("gateway-api-")))
        {
            Assert.Equal("gw-dev-key", api.Environment["Gateway__ApiKeys__0__Key"]);
            Assert.Equal("dev", api.Environment["Gateway__ApiKeys__0__Tenant"]);
        }
        Assert.DoesNotContain(plan.Single(p => p.Name == "gateway-sweeper").Environment.Keys, k => k.StartsWith("Gateway__ApiKeys"));
    }

    [Fact]
    public void Otlp_export_is_set_only_when_an_endpoint_is_given()
    {
        var without = Plan(Options(replicas: 2));
        var with = Plan(Options(replicas: 2, new OtlpExport("http://localhost:4317", "grpc")));

        Assert.All(without, p => Assert.DoesNotContain(p.Environment.Keys, k => k.StartsWith("OTEL_EXPORTER_OTLP")));
        Assert.All(with, p =>
        {
            Assert.Equal("http://localhost:4317", p.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]);
            Assert.Equal("grpc", p.Environment["OTEL_EXPORTER_OTLP_PROTOCOL"]);
        });
    }

    [Fact]
    public void Projects_run_their_built_dll_with_the_dotnet_host()
    {
        var plan = Plan(Options(replicas: 2));

        Assert.All(plan, p => Assert.True(File.Exists(Assert.Single(p.Arguments)), p.Arguments[0]));
        Assert.EndsWith("Gateway.Api.dll", plan[0].Arguments[0]);
        Assert.EndsWith("Gateway.Sweeper.dll", plan[2].Arguments[0]);
    }

    [Fact]
    public void Redis_gets_its_password_on_stdin_not_on_the_command_line()
    {
        var persistent = StackPlan.Redis(Options(replicas: 1), "/usr/bin/redis-server", 6400, "secret");
        var ephemeral = StackPlan.Redis(Options(replicas: 1) with { Ephemeral = true }, "/usr/bin/redis-server", 6400, "secret");

        Assert.Equal("requirepass secret\n", persistent.StandardInput);
        Assert.DoesNotContain(persistent.Arguments, a => a.Contains("secret"));
        Assert.Equal("yes", persistent.Arguments[persistent.Arguments.ToList().IndexOf("--appendonly") + 1]);
        Assert.Equal("no", ephemeral.Arguments[ephemeral.Arguments.ToList().IndexOf("--appendonly") + 1]);
        Assert.Equal(Redis, StackPlan.RedisConnectionString(6400, "secret"));
    }
}
