using Agent.Worker.Embeddings;
using Microsoft.Extensions.AI;

namespace Agent.Worker.Models.Offline;

/// <summary>
/// How close in meaning each candidate quote is to the question: the cosine of their vectors under the embedding model
/// hybrid search uses (<see cref="VectorMath.Similarity"/>), so the offline model picks its quotes with the similarity
/// that found the passages.
/// </summary>
/// <remarks>
/// The generator is the process's one <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> singleton (for the
/// offline MiniLM model, loaded once and shared with <see cref="ChunkVectorIndex"/> and every run slot). Texts go to
/// it shortest first in batches of <see cref="EmbeddingOptions.BatchSize"/>, so a batch is padded to about its own
/// length and its activations stay as small as ingest's.
/// </remarks>
/// <param name="generator">The embedding model.</param>
/// <param name="options">The embedding options (batch size).</param>
internal sealed class QuoteSimilarity(IEmbeddingGenerator<string, Embedding<float>> generator, EmbeddingOptions options)
{
    /// <summary>Returns the cosine similarity of <paramref name="question"/> to each of <paramref name="texts"/>.</summary>
    /// <param name="question">The question.</param>
    /// <param name="texts">The candidate texts (<see cref="QuoteSelector.CandidateTexts"/>).</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>One similarity from -1 to 1 per text, in the texts' order.</returns>
    public async Task<float[]> ScoreAsync(string question, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(texts);
        var similarities = new float[texts.Count];
        if (texts.Count == 0)
        {
            return similarities;
        }

        var questionVector = (await generator.GenerateAsync([question], cancellationToken: cancellationToken))[0].Vector;
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => texts[i].Length).ThenBy(i => i).ToArray();
        var batchSize = Math.Max(1, options.BatchSize);
        for (var start = 0; start < order.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = order.AsMemory(start, Math.Min(batchSize, order.Length - start));
            var embeddings = await generator.GenerateAsync(batch.ToArray().Select(i => texts[i]), cancellationToken: cancellationToken);
            for (var j = 0; j < batch.Length; j++)
            {
                similarities[batch.Span[j]] = VectorMath.Similarity(questionVector.Span, embeddings[j].Vector.Span);
            }
        }

        return similarities;
    }
}
