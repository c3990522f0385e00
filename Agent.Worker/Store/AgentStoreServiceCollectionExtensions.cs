using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Worker.Store;

/// <summary>Registers the long-term memory store's port and sweeper with the worker.</summary>
public static class AgentStoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IAgentStore"/> (singleton; acts for the tenant of the run on the current async flow) and the
    /// sweeper that deletes expired items, configured from section <c>Store</c> (<see cref="StoreOptions"/>).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAgentStore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<StoreOptions>().Bind(configuration.GetSection(StoreOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IAgentStore, AgentStore>();
        services.AddHostedService<StoreSweeper>();
        return services;
    }
}
