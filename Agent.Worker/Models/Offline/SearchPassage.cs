namespace Agent.Worker.Models.Offline;

/// <summary>
/// One result of the <c>search_documents</c> tool, as its JSON reports it
/// (<c>{"document_id":12,"chunk_id":345,"source":"sql-createindex.html","title":"CREATE INDEX",
/// "heading":"Description","text":"...","rank":0.52}</c>).
/// </summary>
/// <param name="DocumentId">The document's id.</param>
/// <param name="ChunkId">The chunk's id.</param>
/// <param name="Source">The document's file name, e.g. <c>textsearch-indexes.html</c>.</param>
/// <param name="Title">The document's title.</param>
/// <param name="Heading">The chunk's section heading, or <see langword="null"/> when it has none.</param>
/// <param name="Text">The chunk's text.</param>
/// <param name="Rank">The search rank (PostgreSQL <c>ts_rank</c>); higher is better, 0 when absent.</param>
internal sealed record SearchPassage(
    long DocumentId, long ChunkId, string Source, string Title, string? Heading, string Text, double Rank);
