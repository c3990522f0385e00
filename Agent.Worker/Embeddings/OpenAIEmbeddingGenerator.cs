using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Embeddings;

namespace Agent.Worker.Embeddings;

/// <summary>
/// Embeddings from an OpenAI-compatible <c>/embeddings</c> endpoint (the official OpenAI SDK's
/// <see cref="EmbeddingClient"/>): selected with <c>Embeddings:Provider=OpenAI</c>, it replaces the offline model by
/// configuration alone.
/// </summary>
internal sealed class OpenAIEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly EmbeddingClient client;
    private readonly int maxInputChars;

    /// <summary>Initializes the generator.</summary>
    /// <param name="options">Model, endpoint, key and input cut.</param>
    /// <exception cref="InvalidOperationException">No API key is configured.</exception>
    public OpenAIEmbeddingGenerator(EmbeddingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var key = options.ApiKey ?? Environment.GetEnvironmentVariable("OPENAI_API_KEY")
            ?? throw new InvalidOperationException("Embeddings:Provider is OpenAI but neither Embeddings:ApiKey nor OPENAI_API_KEY is set.");
        var clientOptions = new OpenAIClientOptions();
        if (options.Endpoint is not null)
        {
            clientOptions.Endpoint = options.Endpoint;
        }

        client = new EmbeddingClient(options.Model, new ApiKeyCredential(key), clientOptions);
        maxInputChars = options.MaxInputChars;
        Metadata = new EmbeddingGeneratorMetadata("openai", options.Endpoint, options.Model);
    }

    /// <summary>Gets the provider, endpoint and model id.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <inheritdoc />
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, Microsoft.Extensions.AI.EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.Select(v => v.Length > maxInputChars ? v[..maxInputChars] : v).ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        if (texts.Count == 0)
        {
            return result;
        }

        OpenAIEmbeddingCollection response = await client.GenerateEmbeddingsAsync(texts, cancellationToken: cancellationToken);
        foreach (var embedding in response.OrderBy(e => e.Index))
        {
            var vector = embedding.ToFloats().ToArray();
            VectorMath.Normalize(vector);
            result.Add(new Embedding<float>(vector) { ModelId = Metadata.DefaultModelId });
        }

        return result;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(EmbeddingGeneratorMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this
        : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
