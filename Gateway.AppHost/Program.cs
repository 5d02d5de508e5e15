#if ASPIRE
// Aspire mode (-p:UseAspire=true): the standard Aspire AppHost. Same resource names as the default mode.
var builder = DistributedApplication.CreateBuilder(args);

var redis = builder.AddRedis("redis");

var apiKey = builder.AddParameter("gateway-api-key", secret: true);

builder.AddProject<Projects.Gateway_Api>("gateway-api")
    .WithReference(redis)
    .WaitFor(redis)
    .WithEnvironment("Gateway__ApiKeys__0__Key", apiKey)
    .WithEnvironment("Gateway__ApiKeys__0__Tenant", "dev")
    .WithHttpHealthCheck("/health")
    .WithReplicas(builder.Configuration.GetValue("ApiReplicas", 1));

builder.AddProject<Projects.Gateway_Sweeper>("gateway-sweeper")
    .WithReference(redis)
    .WaitFor(redis)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
#else
// Default mode: the project's own launcher (Launcher/), which starts the same resources as processes.
return await Gateway.AppHost.Launcher.LauncherCommand.Create().Parse(args)
    .InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = null });
#endif
