using Gateway.Registry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class RegistryServiceCollectionExtensions
{
    /// <summary>The run registry on the connection registered by AddRedisClient("redis"), configured from the
    /// "Registry" section; invalid retention settings stop the host at start with a message naming the key.</summary>
    public static IServiceCollection AddRunRegistry(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RegistryOptions>()
            .Bind(configuration.GetSection(RegistryOptions.SectionName))
            .Validate(o => { RetentionPolicy.Validate(o); return true; })
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<RegistryMetrics>();
        services.TryAddSingleton(sp => new RetentionPolicy(sp.GetRequiredService<IOptions<RegistryOptions>>().Value));
        services.TryAddSingleton<RegistryScripts>();
        services.TryAddSingleton<GroupCommit>();
        services.TryAddSingleton<RunEndSignals>();
        services.TryAddSingleton<RunRegistry>();
        return services;
    }
}
