namespace Agent.Worker.Ingestion;

/// <summary>
/// Summarises one ingest: what was seen, what was (re)written and how long it took.
/// </summary>
/// <param name="FilesSeen">The number of files considered.</param>
/// <param name="Ingested">The number of new or changed documents written.</param>
/// <param name="Unchanged">The number of documents skipped because their content hash was unchanged.</param>
/// <param name="ChunksWritten">The number of chunks inserted for the written documents.</param>
/// <param name="ElapsedMs">The wall time of the ingest, in milliseconds.</param>
internal sealed record IngestReport(int FilesSeen, int Ingested, int Unchanged, int ChunksWritten, long ElapsedMs);
