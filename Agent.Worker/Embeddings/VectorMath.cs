using System.Numerics.Tensors;

namespace Agent.Worker.Embeddings;

/// <summary>The one similarity of hybrid search and of the offline model's quotes: the cosine of unit vectors.</summary>
internal static class VectorMath
{
    /// <summary>Scales a vector to length 1 in place (a zero vector stays zero).</summary>
    /// <param name="vector">The vector.</param>
    public static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0)
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }
    }

    /// <summary>The cosine similarity of two unit vectors: their dot product (SIMD).</summary>
    /// <param name="a">A unit vector.</param>
    /// <param name="b">A unit vector of the same length.</param>
    /// <returns>From -1 to 1.</returns>
    public static float Similarity(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.Dot(a, b);
}
