using Gateway.Sweeper;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

public static class SweeperServiceCollectionExtensions
{
    /// <summary>The sweep loop, its leases, its "Sweeper" options (validated at start) and the lag health check.
    /// Needs AddRedisClient("redis") and AddRunRegistry.</summary>
    public static TBuilder AddSweeper<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<SweeperOptions>()
            .Bind(builder.Configuration.GetSection(SweeperOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SweeperOptions>, ValidateSweeperOptions>();
        builder.Services.AddSingleton<ShardLeases>();
        builder.Services.AddSingleton<SweepPass>();
        builder.Services.AddSingleton<SweepRequests>();
        builder.Services.AddHostedService<SweeperService>();
        builder.Services.AddHealthChecks().AddCheck<SweeperLagHealthCheck>("sweeper-lag", tags: ["ready"]);
        return builder;
    }
}
