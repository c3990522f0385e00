using NpgsqlTypes;

namespace Agent.Persistence.Documents;

/// <summary>
/// Represents one ingested source page, e.g. a page of the PostgreSQL manual (table <c>agent.documents</c>).
/// </summary>
public sealed class Document
{
    /// <summary>Gets or sets the database-assigned id; the argument of <c>read_document</c>.</summary>
    public long DocumentId { get; set; }

    /// <summary>Gets or sets the collection the document belongs to, e.g. <c>postgresql-15</c>.</summary>
    public required string Collection { get; set; }

    /// <summary>
    /// Gets or sets the source's name, unique within the collection: the file's path relative to the ingested directory,
    /// with <c>/</c> separators, e.g. <c>sql-createindex.html</c> or <c>guides/setup.md</c>.
    /// </summary>
    public required string Source { get; set; }

    /// <summary>Gets or sets the page title.</summary>
    public required string Title { get; set; }

    /// <summary>Gets or sets the SHA-256 (hex) of the source bytes; an unchanged hash makes re-ingest a no-op.</summary>
    public required string ContentHash { get; set; }

    /// <summary>Gets or sets when the page was (last) ingested (UTC).</summary>
    public DateTimeOffset IngestedAt { get; set; }

    /// <summary>
    /// Gets or sets the stored generated title vector (English, weight A) that search prepends to each chunk's vector
    /// when ranking, computed once per page instead of once per matching chunk. Written by PostgreSQL.
    /// </summary>
    public NpgsqlTsVector TitleVector { get; set; } = null!;

    /// <summary>Gets the page's chunks, in order.</summary>
    public List<Chunk> Chunks { get; } = [];
}
