namespace Agent.Worker.Ingestion;

/// <summary>
/// Summarises one ingest of a collection: which files were added, updated, removed, left unchanged or could not be
/// read, how many chunks were written and how long it took.
/// </summary>
/// <param name="Collection">The collection ingested into.</param>
/// <param name="FilesSeen">The number of files considered (of a format ingest reads).</param>
/// <param name="Added">The sources (paths relative to the directory, <c>/</c>-separated) ingested for the first time.</param>
/// <param name="Updated">The sources whose content hash changed, re-read and re-chunked.</param>
/// <param name="Removed">The sources stored before but gone from the directory: their documents, chunks and vectors were deleted.</param>
/// <param name="Unchanged">The number of files skipped because their content hash was unchanged (not read, chunked or embedded again).</param>
/// <param name="Failed">The sources that could not be parsed (e.g. an encrypted PDF) and the reason; a stored earlier version stays.</param>
/// <param name="ChunksWritten">The number of chunks inserted for the added and updated documents.</param>
/// <param name="ElapsedMs">The wall time of the ingest, in milliseconds.</param>
internal sealed record IngestReport(
    string Collection,
    int FilesSeen,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Updated,
    IReadOnlyList<string> Removed,
    int Unchanged,
    IReadOnlyList<(string Source, string Reason)> Failed,
    int ChunksWritten,
    long ElapsedMs)
{
    /// <summary>Gets the number of documents written: added plus updated.</summary>
    public int Ingested => Added.Count + Updated.Count;

    /// <summary>Gets whether the ingest changed anything (added, updated or removed a document).</summary>
    public bool Changed => Ingested + Removed.Count > 0;
}
