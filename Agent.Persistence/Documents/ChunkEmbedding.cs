namespace Agent.Persistence.Documents;

/// <summary>
/// Represents the embedding of one chunk's text by one model (table <c>agent.chunk_embeddings</c>), keyed by the
/// chunk's <see cref="Chunk.TextHash"/>: chunks with the same text share it, and a re-ingest embeds only new text.
/// </summary>
public sealed class ChunkEmbedding
{
    /// <summary>Gets or sets the embedding model's id, e.g. <c>all-MiniLM-L6-v2</c>; vectors of two models never mix.</summary>
    public required string Model { get; set; }

    /// <summary>Gets or sets the <see cref="Chunk.TextHash"/> of the text embedded.</summary>
    public required string TextHash { get; set; }

    /// <summary>Gets or sets the vector (<c>real[]</c>), normalized to length 1 so a dot product is the cosine.</summary>
    public required float[] Embedding { get; set; }
}
