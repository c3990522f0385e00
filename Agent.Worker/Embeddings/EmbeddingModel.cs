using Microsoft.Extensions.AI;

namespace Agent.Worker.Embeddings;

/// <summary>What is embedded, and under which model id: one rule for ingest and search.</summary>
internal static class EmbeddingModel
{
    /// <summary>The text embedded for a chunk: its page title, its heading (when not the title) and its content.</summary>
    /// <param name="title">The page title.</param>
    /// <param name="heading">The section heading.</param>
    /// <param name="content">The section text (or its start).</param>
    /// <returns>The text to embed.</returns>
    public static string ChunkText(string title, string heading, string content) =>
        string.Equals(title, heading, StringComparison.Ordinal) ? $"{title}\n{content}" : $"{title}: {heading}\n{content}";

    /// <summary>The id vectors are stored under: the generator's default model id, else its type name.</summary>
    /// <param name="generator">The embedding generator.</param>
    /// <returns>E.g. <c>all-MiniLM-L6-v2</c>.</returns>
    public static string IdOf(IEmbeddingGenerator<string, Embedding<float>> generator) =>
        generator.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelId ?? generator.GetType().Name;
}
