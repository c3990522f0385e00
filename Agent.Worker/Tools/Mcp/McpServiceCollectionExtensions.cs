using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Tools.Mcp;

/// <summary>Registers the MCP tool servers named in configuration (<see cref="McpOptions"/>).</summary>
internal static class McpServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="McpOptions"/> (bound to <c>Mcp</c>, validated on start) and <see cref="McpToolServers"/> as a
    /// singleton and hosted service. With no server configured it connects to nothing.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddMcpToolServers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<McpOptions>().Bind(configuration.GetSection(McpOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<McpOptions>, McpOptionsValidator>());
        services.TryAddSingleton<McpToolServers>();
        services.AddHostedService(provider => provider.GetRequiredService<McpToolServers>());
        return services;
    }
}
