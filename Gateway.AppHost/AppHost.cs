using Gateway.AppHost.Extensions;

// The Gateway's topology: redis, gateway-api (replicas) and gateway-sweeper. Settings: appsettings.json,
// or the command line (`dotnet run --project Gateway.AppHost -- --Redis:Runtime=container`).
var builder = DistributedApplication.CreateBuilder(args);

IResourceBuilder<IResourceWithConnectionString> redis;
try
{
    redis = builder.AddGatewayRedis("redis");
}
catch (RedisServerNotFoundException missing)
{
    Console.Error.WriteLine($"error: {missing.Message}");
    return 1;
}

var apiKey = builder.AddParameter("gateway-api-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true, persist: true);
var adminKey = builder.AddParameter("gateway-sweeper-admin-key", new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true);

builder.AddProject<Projects.Gateway_Api>("gateway-api")
    .WithReference(redis).WaitFor(redis)
    .WithRetentionSettings()
    .WithEnvironment("Gateway__ApiKeys__0__Key", apiKey)
    .WithEnvironment("Gateway__ApiKeys__0__Tenant", "dev")
    .WithHttpHealthCheck("/health")
    .WithApiReferenceUrls()
    .WithReplicas(builder.Configuration.GetValue("Gateway:ApiReplicas", 1));

builder.AddProject<Projects.Gateway_Sweeper>("gateway-sweeper")
    .WithReference(redis).WaitFor(redis)
    .WithRetentionSettings()
    .WithHttpHealthCheck("/health")
    .WithSweeperCommands(adminKey);

builder.Build().Run();
return 0;
