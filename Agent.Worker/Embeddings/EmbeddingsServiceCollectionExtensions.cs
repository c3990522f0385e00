using Agent.Worker.Embeddings;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Registers the embedding model (the <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> port), the chunk vector
/// index and the ingest-time embedder.
/// </summary>
public static class EmbeddingsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the model chosen by <c>Embeddings:Provider</c> (<see cref="EmbeddingOptions"/>): the offline MiniLM model
    /// (default), an OpenAI-compatible endpoint, or none. With a model, also <see cref="ChunkVectorIndex"/> and
    /// <see cref="ChunkEmbedder"/>, all singletons: one model and one vector cache per process.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The configuration.</param>
    /// <returns>The same service collection.</returns>
    /// <exception cref="InvalidOperationException">The provider is not one of the three.</exception>
    public static IServiceCollection AddEmbeddings(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(EmbeddingOptions.Section).Get<EmbeddingOptions>() ?? new EmbeddingOptions();
        if (string.Equals(options.Provider, EmbeddingOptions.None, StringComparison.OrdinalIgnoreCase))
        {
            return services;
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        if (string.Equals(options.Provider, EmbeddingOptions.MiniLM, StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>, MiniLmEmbeddingGenerator>();
        }
        else if (string.Equals(options.Provider, EmbeddingOptions.OpenAI, StringComparison.OrdinalIgnoreCase))
        {
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>, OpenAIEmbeddingGenerator>();
        }
        else
        {
            throw new InvalidOperationException(
                $"Embeddings:Provider '{options.Provider}' is not one of {EmbeddingOptions.MiniLM}, {EmbeddingOptions.OpenAI}, {EmbeddingOptions.None}.");
        }

        services.AddSingleton<ChunkVectorIndex>();
        services.AddSingleton<ChunkEmbedder>();
        return services;
    }
}
