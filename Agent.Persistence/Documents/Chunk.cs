using NpgsqlTypes;

namespace Agent.Persistence.Documents;

/// <summary>
/// Represents one section of a document, the unit of full-text search (table <c>agent.chunks</c>).
/// </summary>
public sealed class Chunk
{
    /// <summary>Gets or sets the database-assigned id.</summary>
    public long ChunkId { get; set; }

    /// <summary>Gets or sets the owning document.</summary>
    public long DocumentId { get; set; }

    /// <summary>Gets or sets the position of the chunk within its document, from 0.</summary>
    public int Ordinal { get; set; }

    /// <summary>Gets or sets the section heading (or the page title for the first section).</summary>
    public required string Heading { get; set; }

    /// <summary>Gets or sets the section's plain text.</summary>
    public required string Content { get; set; }

    /// <summary>
    /// Gets or sets the stored generated search vector: the heading weighted A and the content weighted B, English
    /// configuration; GIN indexed. Written by PostgreSQL, never by the application.
    /// </summary>
    public NpgsqlTsVector SearchVector { get; set; } = null!;

    /// <summary>
    /// Gets or sets the stored generated MD5 (32 lowercase hex digits; <c>md5()</c> is immutable, <c>sha256(convert_to())</c> is not) of the heading and content: the key of the
    /// chunk's embedding in <c>agent.chunk_embeddings</c>, so a re-ingested section whose text did not change keeps its
    /// embedding. Written by PostgreSQL, never by the application.
    /// </summary>
    public string TextHash { get; set; } = null!;

    /// <summary>Gets or sets the owning document.</summary>
    public Document? Document { get; set; }
}
