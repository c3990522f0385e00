using Agent.Worker.Retrieval;
using Agent.Worker.Tools;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the retrieval tools with dependency injection.
/// </summary>
public static class RetrievalServiceCollectionExtensions
{
    /// <summary>
    /// Adds <c>search_documents</c> and <c>read_document</c> as <see cref="IAgentTool"/> singletons. They need the
    /// <c>NpgsqlDataSource</c> that <c>AddAgentPersistence</c> registers.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddRetrievalTools(this IServiceCollection services)
    {
        services.AddSingleton<IAgentTool, SearchDocumentsTool>();
        services.AddSingleton<IAgentTool, ReadDocumentTool>();
        return services;
    }
}
