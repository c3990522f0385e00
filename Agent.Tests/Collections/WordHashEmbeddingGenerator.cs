using Microsoft.Extensions.AI;

namespace Agent.Tests.Collections;

/// <summary>
/// A deterministic offline embedding model for the collection tests: a bag of words hashed into 64 dimensions and
/// normalized, so texts sharing words are similar. Counts the texts it embedded.
/// </summary>
internal sealed class WordHashEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private const int Dimensions = 64;
    private int embedded;

    public int Embedded => Volatile.Read(ref embedded);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            Interlocked.Increment(ref embedded);
            var vector = new float[Dimensions];
            foreach (var word in value.ToLowerInvariant().Split([' ', '\n', '.', ',', ':', '-', '|', '*', '[', ']', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
            {
                vector[(int)((uint)StableHash(word) % Dimensions)] += 1;
            }

            var length = MathF.Sqrt(vector.Sum(v => v * v));
            result.Add(new Embedding<float>(length > 0 ? vector.Select(v => v / length).ToArray() : vector));
        }

        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(EmbeddingGeneratorMetadata) ? new EmbeddingGeneratorMetadata("test", null, "word-hash-64") : null;

    public void Dispose()
    {
    }

    private static int StableHash(string word)
    {
        var hash = 17;
        foreach (var c in word)
        {
            hash = unchecked((hash * 31) + c);
        }

        return hash;
    }
}
