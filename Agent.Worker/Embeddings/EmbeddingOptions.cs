namespace Agent.Worker.Embeddings;

/// <summary>
/// Which embedding model vectorizes chunks and questions for hybrid search (configuration section
/// <c>Embeddings</c>).
/// </summary>
public sealed class EmbeddingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Embeddings";

    /// <summary>The built-in offline model (all-MiniLM-L6-v2 on ONNX Runtime, shipped in a NuGet package).</summary>
    public const string MiniLM = "MiniLM";

    /// <summary>An OpenAI-compatible <c>/embeddings</c> endpoint (OpenAI, Azure OpenAI v1, Ollama, vLLM, LiteLLM).</summary>
    public const string OpenAI = "OpenAI";

    /// <summary>No embeddings: <c>search_documents</c> is full-text only.</summary>
    public const string None = "None";

    /// <summary>Gets or sets the provider: <see cref="MiniLM"/> (default), <see cref="OpenAI"/> or <see cref="None"/>.</summary>
    public string Provider { get; set; } = MiniLM;

    /// <summary>
    /// Gets or sets the model id for <see cref="OpenAI"/>, e.g. <c>text-embedding-3-small</c>. Stored with each vector
    /// (<c>chunk_embeddings.model</c>), so switching models re-embeds rather than mixing vector spaces.
    /// </summary>
    public string Model { get; set; } = "text-embedding-3-small";

    /// <summary>Gets or sets the OpenAI-compatible endpoint; unset: api.openai.com.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Gets or sets the API key for <see cref="OpenAI"/>; unset: the <c>OPENAI_API_KEY</c> variable.</summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets how many leading characters of a chunk are embedded (default 800, about 180 tokens). A section's
    /// opening says what it is about; embedding all of a long section costs quadratic time for little gain.
    /// </summary>
    public int MaxInputChars { get; set; } = 800;

    /// <summary>Gets or sets how many texts go to the model per call during ingest (default 16).</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>
    /// Gets or sets the ONNX Runtime threads of the offline model (intra-op); 0 (default): one per core. One model is
    /// loaded per process and shared by every run slot.
    /// </summary>
    public int Threads { get; set; }

    /// <summary>
    /// Gets or sets whether the offline model runs with int8 weights (default <see langword="true"/>): its matrix
    /// products take about half the CPU of float32 (17.9 → 8.9 ms per manual section on 2 cores) for vectors whose
    /// cosine to the float model's is 0.99 on average (<see cref="Int8WeightQuantizer"/>). Vectors are stored under
    /// <c>all-MiniLM-L6-v2-int8</c>, so changing this re-embeds. Ignored by the <see cref="OpenAI"/> provider.
    /// </summary>
    public bool QuantizedWeights { get; set; } = true;

    /// <summary>
    /// Gets or sets the directory that keeps the offline model's int8 weights once quantized (default:
    /// <c>agent-embeddings</c> under the system's temporary directory; empty: none). The first load writes the file
    /// (about 59 MB, named after the packaged model's assembly version id, written to a temporary name and renamed, so
    /// processes sharing the directory never read half a file); later loads give it to ONNX Runtime directly, without
    /// parsing the 90 MB float model: less peak memory and a faster start. An unwritable directory or an unreadable
    /// file falls back to quantizing in memory.
    /// </summary>
    public string ModelCacheDirectory { get; set; } = Path.Combine(Path.GetTempPath(), "agent-embeddings");
}
