namespace Agent.Persistence.Documents;

/// <summary>
/// Represents a named set of ingested documents (table <c>agent.document_collections</c>), e.g. <c>postgresql-15</c>:
/// what <c>ingest --collection NAME</c> fills and what <c>search_documents</c> is scoped to.
/// </summary>
public sealed class DocumentCollection
{
    /// <summary>Gets or sets the name (<see cref="DocumentCollectionName"/> says which names are valid).</summary>
    public required string Name { get; set; }

    /// <summary>
    /// Gets or sets the version: raised in the same transaction as every change to the collection's documents, chunks
    /// or their vectors, so a worker's vector cache reloads the collection when, and only when, its version moved.
    /// </summary>
    public long Version { get; set; }

    /// <summary>Gets or sets when the collection last changed (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Gets the collection's documents.</summary>
    public List<Document> Documents { get; } = [];
}
