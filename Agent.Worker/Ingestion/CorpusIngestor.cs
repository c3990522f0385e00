using System.Security.Cryptography;
using Agent.Persistence.Documents;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Agent.Worker.Ingestion;

/// <summary>
/// Ingests a directory of files into a document collection (<c>agent.document_collections</c>,
/// <c>agent.documents</c>, <c>agent.chunks</c>): HTML, Markdown, plain text and PDF, picked by extension
/// (<see cref="DocumentFormats"/>), one chunk per section as the format's extractor cuts them.
/// </summary>
/// <remarks>
/// Ingest is idempotent per file: a file whose SHA-256 matches the stored <c>content_hash</c> is skipped without being
/// parsed (so it is not chunked or embedded again), a changed file has its document row updated and its chunks
/// replaced in the same transaction, and the documents of files gone from the directory are deleted with their chunks.
/// Each transaction that changes the collection also raises its <see cref="DocumentCollection.Version"/>, which is how
/// running workers' vector caches notice. Files are parsed in parallel, a batch ahead of the writer, and written a
/// batch per transaction with one upsert and one binary <c>COPY</c>, so the whole manual (1,173 pages) takes seconds.
/// Two ingests of the same collection at once are not coordinated (the last writer of a file wins).
/// </remarks>
/// <param name="dataSource">The agent database.</param>
/// <param name="timeProvider">Stamps <c>ingested_at</c> and measures the elapsed time.</param>
/// <param name="logger">Logs the summary of each ingest.</param>
internal sealed partial class CorpusIngestor(NpgsqlDataSource dataSource, TimeProvider timeProvider, ILogger<CorpusIngestor> logger)
{
    private const int BatchSize = 32;

    private const string LoadHashesSql = "SELECT source, content_hash FROM agent.documents WHERE collection = @collection";

    private const string EnsureCollectionSql = """
        INSERT INTO agent.document_collections (name, version, updated_at) VALUES (@collection, 0, @now)
        ON CONFLICT (name) DO NOTHING
        """;

    private const string BumpVersionSql = """
        UPDATE agent.document_collections SET version = version + 1, updated_at = @now WHERE name = @collection
        """;

    private const string UpsertSql = """
        INSERT INTO agent.documents (collection, source, title, content_hash, ingested_at)
        SELECT @collection, u.source, u.title, u.content_hash, @now
        FROM unnest(@sources, @titles, @hashes) AS u(source, title, content_hash)
        ON CONFLICT (collection, source) DO UPDATE
            SET title = excluded.title, content_hash = excluded.content_hash, ingested_at = excluded.ingested_at
        RETURNING document_id, source
        """;

    private const string DeleteChunksSql = "DELETE FROM agent.chunks WHERE document_id = ANY(@ids)";

    private const string DeleteDocumentsSql = "DELETE FROM agent.documents WHERE collection = @collection AND source = ANY(@sources)";

    private const string CopyChunksSql = "COPY agent.chunks (document_id, ordinal, heading, content) FROM STDIN (FORMAT BINARY)";

    /// <summary>
    /// Ingests every file of a format ingest reads under a directory, recursively (hidden files and directories,
    /// whose names start with <c>.</c>, are skipped), into a collection, and removes the collection's documents whose
    /// files are gone. A document's source is its path relative to <paramref name="directory"/>, <c>/</c>-separated.
    /// </summary>
    /// <param name="collection">The collection (<see cref="DocumentCollectionName"/>); created when new.</param>
    /// <param name="directory">The directory, e.g. <c>/usr/share/doc/postgresql-doc-15/html</c>.</param>
    /// <param name="cancellationToken">Cancels the ingest; batches already committed stay.</param>
    /// <returns>What was added, updated, removed and skipped, and the elapsed time.</returns>
    /// <exception cref="ArgumentException">The collection name is not valid.</exception>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public Task<IngestReport> IngestAsync(string collection, string directory, CancellationToken cancellationToken)
    {
        DocumentCollectionName.Require(collection);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (!Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"The directory '{directory}' does not exist.");
        }

        var root = Path.GetFullPath(directory);
        var files = EnumerateFiles(root)
            .Select(path => new SourceFile(path, Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/')))
            .OrderBy(f => f.Source, StringComparer.Ordinal)
            .ToList();
        return IngestCoreAsync(collection, files, removeMissing: true, cancellationToken);
    }

    /// <summary>
    /// Ingests the given files into a collection; each becomes the document whose source is its file name (of two
    /// files with the same name, the first is taken). Documents of other files stay.
    /// </summary>
    /// <param name="collection">The collection (<see cref="DocumentCollectionName"/>); created when new.</param>
    /// <param name="files">The paths of the files, each of a format ingest reads.</param>
    /// <param name="cancellationToken">Cancels the ingest; batches already committed stay.</param>
    /// <returns>What was added, updated and skipped, and the elapsed time.</returns>
    /// <exception cref="ArgumentException">The collection name is not valid.</exception>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public Task<IngestReport> IngestFilesAsync(string collection, IEnumerable<string> files, CancellationToken cancellationToken)
    {
        DocumentCollectionName.Require(collection);
        ArgumentNullException.ThrowIfNull(files);
        var distinct = files.Select(path => new SourceFile(path, Path.GetFileName(path)))
            .DistinctBy(f => f.Source, StringComparer.Ordinal)
            .ToList();
        return IngestCoreAsync(collection, distinct, removeMissing: false, cancellationToken);
    }

    /// <summary>Ingests the given files into the collection <see cref="DocumentCollectionName.Default"/> (the manual's).</summary>
    /// <param name="files">The paths of the files.</param>
    /// <param name="cancellationToken">Cancels the ingest; batches already committed stay.</param>
    /// <returns>What was added, updated and skipped, and the elapsed time.</returns>
    /// <exception cref="FileNotFoundException">A file does not exist.</exception>
    public Task<IngestReport> IngestFilesAsync(IEnumerable<string> files, CancellationToken cancellationToken) =>
        IngestFilesAsync(DocumentCollectionName.Default, files, cancellationToken);

    private static IEnumerable<string> EnumerateFiles(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (!Path.GetFileName(file).StartsWith('.') && DocumentFormats.IsSupported(file))
            {
                yield return file;
            }
        }

        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            if (Path.GetFileName(child).StartsWith('.'))
            {
                continue;
            }

            foreach (var file in EnumerateFiles(child))
            {
                yield return file;
            }
        }
    }

    private async Task<IngestReport> IngestCoreAsync(
        string collection, List<SourceFile> files, bool removeMissing, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        await EnsureCollectionAsync(collection, cancellationToken);
        var known = await LoadContentHashesAsync(collection, cancellationToken);
        var batches = files.Chunk(BatchSize).ToList();

        List<string> added = [], updated = [];
        List<(string, string)> failed = [];
        int unchanged = 0, chunksWritten = 0;
        Task<Prepared[]>? next = batches.Count > 0 ? PrepareAsync(batches[0], known, cancellationToken) : null;
        try
        {
            for (var i = 0; i < batches.Count; i++)
            {
                var prepared = await next!;
                next = i + 1 < batches.Count ? PrepareAsync(batches[i + 1], known, cancellationToken) : null;
                var changed = prepared.Where(p => p.Document is not null).Select(p => p.Document!).ToList();
                unchanged += prepared.Count(p => p.Document is null && p.Failure is null);
                failed.AddRange(prepared.Where(p => p.Failure is not null).Select(p => (p.Source, p.Failure!)));
                if (changed.Count > 0)
                {
                    chunksWritten += await WriteAsync(collection, changed, cancellationToken);
                    foreach (var document in changed)
                    {
                        (known.ContainsKey(document.Source) ? updated : added).Add(document.Source);
                    }
                }
            }
        }
        catch (Exception) when (next is not null)
        {
            try
            {
                await next;
            }
            catch (Exception)
            {
                // The exception that stopped the ingest is the one reported; the batch parsed ahead no longer matters.
            }

            throw;
        }

        List<string> removed = [];
        if (removeMissing)
        {
            var present = files.Select(f => f.Source).ToHashSet(StringComparer.Ordinal);
            removed = [.. known.Keys.Where(source => !present.Contains(source)).Order(StringComparer.Ordinal)];
            if (removed.Count > 0)
            {
                await DeleteAsync(collection, removed, cancellationToken);
            }
        }

        var report = new IngestReport(
            collection, files.Count, added, updated, removed, unchanged, failed, chunksWritten,
            (long)timeProvider.GetElapsedTime(started).TotalMilliseconds);
        LogIngested(collection, report.FilesSeen, added.Count, updated.Count, removed.Count, unchanged, failed.Count, chunksWritten, report.ElapsedMs);
        return report;
    }

    private static Task<Prepared[]> PrepareAsync(SourceFile[] batch, Dictionary<string, string> known, CancellationToken cancellationToken) =>
        Task.WhenAll(batch.Select(file => Task.Run(() => Prepare(file, known), cancellationToken)));

    private static Prepared Prepare(SourceFile file, Dictionary<string, string> known)
    {
        var bytes = File.ReadAllBytes(file.Path);
        var hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (known.TryGetValue(file.Source, out var storedHash) && storedHash == hash)
        {
            return new Prepared(file.Source, null, null);
        }

        try
        {
            var parsed = DocumentFormats.Parse(file.Path, bytes);
            return new Prepared(file.Source, new PreparedDocument(file.Source, parsed.Title, hash, parsed.Sections), null);
        }
        catch (InvalidDataException exception)
        {
            return new Prepared(file.Source, null, exception.Message);
        }
    }

    private async Task EnsureCollectionAsync(string collection, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(EnsureCollectionSql);
        command.Parameters.Add(new NpgsqlParameter<string>("collection", collection));
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", timeProvider.GetUtcNow()));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<Dictionary<string, string>> LoadContentHashesAsync(string collection, CancellationToken cancellationToken)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand(LoadHashesSql);
        command.Parameters.Add(new NpgsqlParameter<string>("collection", collection));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            hashes[reader.GetString(0)] = reader.GetString(1);
        }

        return hashes;
    }

    private async Task DeleteAsync(string collection, List<string> sources, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var delete = new NpgsqlCommand(DeleteDocumentsSql, connection, transaction))
        {
            // The chunks go with their documents (ON DELETE CASCADE); their vectors when the embedder next runs.
            delete.Parameters.Add(new NpgsqlParameter<string>("collection", collection));
            delete.Parameters.Add(new NpgsqlParameter<string[]>("sources", [.. sources]));
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        await BumpVersionAsync(connection, transaction, collection, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task BumpVersionAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string collection, CancellationToken cancellationToken)
    {
        await using var bump = new NpgsqlCommand(BumpVersionSql, connection, transaction);
        bump.Parameters.Add(new NpgsqlParameter<string>("collection", collection));
        bump.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", timeProvider.GetUtcNow()));
        await bump.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<int> WriteAsync(string collection, List<PreparedDocument> documents, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        var ids = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var upsert = new NpgsqlCommand(UpsertSql, connection, transaction))
        {
            upsert.Parameters.Add(new NpgsqlParameter<string>("collection", collection));
            upsert.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", timeProvider.GetUtcNow()));
            upsert.Parameters.Add(new NpgsqlParameter<string[]>("sources", documents.Select(d => d.Source).ToArray()));
            upsert.Parameters.Add(new NpgsqlParameter<string[]>("titles", documents.Select(d => d.Title).ToArray()));
            upsert.Parameters.Add(new NpgsqlParameter<string[]>("hashes", documents.Select(d => d.ContentHash).ToArray()));
            await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                ids[reader.GetString(1)] = reader.GetInt64(0);
            }
        }

        await using (var delete = new NpgsqlCommand(DeleteChunksSql, connection, transaction))
        {
            delete.Parameters.Add(new NpgsqlParameter<long[]>("ids", [.. ids.Values]));
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        var written = 0;
        await using (var importer = await connection.BeginBinaryImportAsync(CopyChunksSql, cancellationToken))
        {
            foreach (var document in documents)
            {
                var documentId = ids[document.Source];
                for (var ordinal = 0; ordinal < document.Sections.Count; ordinal++)
                {
                    var section = document.Sections[ordinal];
                    await importer.StartRowAsync(cancellationToken);
                    await importer.WriteAsync(documentId, NpgsqlDbType.Bigint, cancellationToken);
                    await importer.WriteAsync(ordinal, NpgsqlDbType.Integer, cancellationToken);
                    await importer.WriteAsync(section.Heading, NpgsqlDbType.Text, cancellationToken);
                    await importer.WriteAsync(section.Content, NpgsqlDbType.Text, cancellationToken);
                    written++;
                }
            }

            await importer.CompleteAsync(cancellationToken);
        }

        await BumpVersionAsync(connection, transaction, collection, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return written;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Ingested {Collection}: {FilesSeen} files, {Added} added, {Updated} updated, {Removed} removed, {Unchanged} unchanged, {Failed} unreadable, {ChunksWritten} chunks in {ElapsedMs} ms")]
    private partial void LogIngested(
        string collection, int filesSeen, int added, int updated, int removed, int unchanged, int failed, int chunksWritten, long elapsedMs);

    private sealed record SourceFile(string Path, string Source);

    private sealed record Prepared(string Source, PreparedDocument? Document, string? Failure);

    private sealed record PreparedDocument(string Source, string Title, string ContentHash, IReadOnlyList<DocumentSection> Sections);
}
