using Agent.Worker.Ingestion;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the corpus ingestor with dependency injection.
/// </summary>
public static class CorpusIngestionServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="CorpusIngestor"/> as a singleton, plus <see cref="TimeProvider.System"/> unless a
    /// <see cref="TimeProvider"/> is registered already. Needs the <c>NpgsqlDataSource</c> that
    /// <c>AddAgentPersistence</c> registers.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddCorpusIngestion(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CorpusIngestor>();
        return services;
    }
}
