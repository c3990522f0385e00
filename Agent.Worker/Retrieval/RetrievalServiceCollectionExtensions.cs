using Agent.Worker.Embeddings;
using Agent.Worker.Graphs;
using Agent.Worker.Retrieval;
using Agent.Worker.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the retrieval tools with dependency injection.
/// </summary>
public static class RetrievalServiceCollectionExtensions
{
    /// <summary>
    /// Adds <c>search_documents</c> and <c>read_document</c> as agent tools (<see cref="AgentToolFunction"/>s, registered
    /// as <see cref="AIFunction"/>s by <c>AddAgentTool</c> like a deployer's tools), with the
    /// full-text index (<see cref="ChunkLexicalIndex"/>, one per process) and the embedding model <c>Embeddings:Provider</c> names (<see cref="EmbeddingsServiceCollectionExtensions.AddEmbeddings"/>). They need the
    /// <c>NpgsqlDataSource</c> that <c>AddAgentPersistence</c> registers.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddRetrievalTools(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddEmbeddings(configuration);
        services.AddSingleton<ChunkLexicalIndex>();
        services.AddAgentTool(sp => new SearchDocumentsTool(
            sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<ChunkLexicalIndex>(), sp.GetService<ChunkVectorIndex>()));
        services.AddAgentTool(sp => new ReadDocumentTool(sp.GetRequiredService<Npgsql.NpgsqlDataSource>()));
        return services;
    }
}
