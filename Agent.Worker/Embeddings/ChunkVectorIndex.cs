using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Agent.Worker.Embeddings;

/// <summary>
/// The chunks' vectors of the configured model, cached in the worker's memory one document collection at a time, and
/// an exact similarity scan over the collections a search is scoped to: the vector half of hybrid search. PostgreSQL
/// keeps the vectors (<c>agent.chunk_embeddings</c>, a plain <c>real[]</c>: Debian 12 ships no pgvector); the scan is
/// a SIMD dot product per chunk, under a millisecond for the whole manual (about 10,000 chunks × 384 floats = 15 MB).
/// </summary>
/// <remarks>
/// A collection's first search loads its cache, stamped with the collection's version
/// (<c>agent.document_collections.version</c>, which every ingest transaction and every batch of new vectors raises).
/// After that a search uses the cache it has, and at most every <see cref="RecheckInterval"/> starts a background
/// check of the cached collections' versions, reloading each collection whose version moved: a search never waits
/// for a reload, a re-ingest (while workers run) shows up within seconds, and the other collections are not reloaded.
/// A version is read before its vectors, so a change committed in between only causes one more reload. A stale
/// cache never leaks a chunk that was deleted meanwhile: search joins the ids it returns with the chunks that exist.
/// One cache per process, shared by every run slot.
/// </remarks>
/// <param name="dataSource">The agent database.</param>
/// <param name="generator">Embeds the question.</param>
/// <param name="timeProvider">Times the re-checks.</param>
/// <param name="logger">Logs loads.</param>
internal sealed partial class ChunkVectorIndex(
    NpgsqlDataSource dataSource,
    IEmbeddingGenerator<string, Embedding<float>> generator,
    TimeProvider timeProvider,
    ILogger<ChunkVectorIndex> logger) : IDisposable
{
    /// <summary>How stale the cache may get before a search starts a background check: 2 seconds.</summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(2);

    private const string VersionsSql = "SELECT name, version FROM agent.document_collections WHERE name = ANY(@names)";

    private const string LoadSql = """
        SELECT c.chunk_id, e.embedding
        FROM agent.documents AS d
        JOIN agent.chunks AS c ON c.document_id = d.document_id
        JOIN agent.chunk_embeddings AS e ON e.model = @model AND e.text_hash = c.text_hash
        WHERE d.collection = @collection
        ORDER BY c.chunk_id
        """;

    // A collection that does not exist (yet) is cached empty under this version, so it costs no load per search.
    private const long Missing = -1;

    private readonly SemaphoreSlim loadLock = new(1, 1);
    private readonly ConcurrentDictionary<string, Snapshot> snapshots = new(StringComparer.Ordinal);
    private long lastCheck;
    private int checking;
    private long loads;

    /// <summary>Gets the model id the vectors are stored under.</summary>
    public string ModelId { get; } = EmbeddingModel.IdOf(generator);

    /// <summary>
    /// The chunks of the given collections most similar to a question, most similar first (exact: every chunk of those
    /// collections is scored). The question is embedded only when some chunk has a vector, so a corpus ingested
    /// without embeddings costs no model call.
    /// </summary>
    /// <param name="question">The question.</param>
    /// <param name="count">How many to return.</param>
    /// <param name="collections">The collections to search; chunks of others are never returned.</param>
    /// <param name="cancellationToken">Cancels the embedding and a first load.</param>
    /// <returns>Chunk ids and cosine similarities; empty when no chunk of those collections has a vector.</returns>
    public async Task<IReadOnlyList<(long ChunkId, float Similarity)>> NearestAsync(
        string question, int count, IReadOnlyCollection<string> collections, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(collections);
        var current = new List<Snapshot>(collections.Count);
        foreach (var collection in collections.Distinct(StringComparer.Ordinal))
        {
            var snapshot = await CurrentAsync(collection, cancellationToken);
            if (snapshot.ChunkIds.Length > 0)
            {
                current.Add(snapshot);
            }
        }

        if (current.Count == 0)
        {
            return [];
        }

        var embeddings = await generator.GenerateAsync([question], cancellationToken: cancellationToken);
        var query = embeddings[0].Vector.Span;

        // A bounded min-heap of the best so far: O(n log count) with count small.
        var best = new PriorityQueue<long, float>(count + 1);
        foreach (var snapshot in current)
        {
            if (query.Length != snapshot.Dimensions)
            {
                continue;
            }

            var vectors = snapshot.Vectors.AsSpan();
            for (var i = 0; i < snapshot.ChunkIds.Length; i++)
            {
                var similarity = VectorMath.Similarity(query, vectors.Slice(i * snapshot.Dimensions, snapshot.Dimensions));
                if (best.Count < count)
                {
                    best.Enqueue(snapshot.ChunkIds[i], similarity);
                }
                else if (best.TryPeek(out _, out var worst) && similarity > worst)
                {
                    best.EnqueueDequeue(snapshot.ChunkIds[i], similarity);
                }
            }
        }

        var result = new (long, float)[best.Count];
        for (var i = result.Length - 1; i >= 0; i--)
        {
            best.TryDequeue(out var id, out var similarity);
            result[i] = (id, similarity);
        }

        return result;
    }

    /// <summary>Gets how many collection loads this cache has made (tests check that an unchanged collection is not reloaded).</summary>
    internal long Loads => Interlocked.Read(ref loads);

    /// <inheritdoc />
    public void Dispose() => loadLock.Dispose();

    /// <summary>Drops the cache: the next search of each collection loads it again (after an ingest in this process).</summary>
    public void Invalidate() => snapshots.Clear();

    private async Task<Snapshot> CurrentAsync(string collection, CancellationToken cancellationToken)
    {
        if (!snapshots.TryGetValue(collection, out var current))
        {
            await loadLock.WaitAsync(cancellationToken);
            try
            {
                current = snapshots.TryGetValue(collection, out var loaded) ? loaded : await LoadAsync(collection, cancellationToken);
            }
            finally
            {
                loadLock.Release();
            }
        }
        else if (timeProvider.GetElapsedTime(Volatile.Read(ref lastCheck)) > RecheckInterval
                 && Interlocked.CompareExchange(ref checking, 1, 0) == 0)
        {
            _ = Task.Run(RecheckInBackgroundAsync, CancellationToken.None);
        }

        return current;
    }

    /// <summary>
    /// Compares the cached collections' versions with the database's and reloads each collection whose version moved
    /// (what a search starts in the background every <see cref="RecheckInterval"/>).
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>A task that completes when the changed collections are reloaded.</returns>
    internal async Task RecheckAsync(CancellationToken cancellationToken)
    {
        var cached = snapshots.ToArray();
        var versions = await ReadVersionsAsync([.. cached.Select(c => c.Key)], cancellationToken);
        foreach (var (collection, snapshot) in cached)
        {
            if (versions.GetValueOrDefault(collection, Missing) == snapshot.Version)
            {
                continue;
            }

            await loadLock.WaitAsync(cancellationToken);
            try
            {
                await LoadAsync(collection, cancellationToken);
            }
            finally
            {
                loadLock.Release();
            }
        }

        Volatile.Write(ref lastCheck, timeProvider.GetTimestamp());
    }

    private async Task RecheckInBackgroundAsync()
    {
        try
        {
            await RecheckAsync(CancellationToken.None);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            // The cache stays as it was; the next search past the interval checks again.
            LogRecheckFailed(exception);
        }
        finally
        {
            Volatile.Write(ref checking, 0);
        }
    }

    private async Task<Dictionary<string, long>> ReadVersionsAsync(string[] collections, CancellationToken cancellationToken)
    {
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var command = dataSource.CreateCommand(VersionsSql);
        command.Parameters.Add(new NpgsqlParameter<string[]>("names", collections));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            versions[reader.GetString(0)] = reader.GetInt64(1);
        }

        return versions;
    }

    private async Task<Snapshot> LoadAsync(string collection, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var version = (await ReadVersionsAsync([collection], cancellationToken)).GetValueOrDefault(collection, Missing);
        var ids = new List<long>();
        var vectors = new List<float>();
        var dimensions = 0;
        if (version != Missing)
        {
            await using var command = dataSource.CreateCommand(LoadSql);
            command.Parameters.Add(new NpgsqlParameter<string>("model", ModelId));
            command.Parameters.Add(new NpgsqlParameter<string>("collection", collection));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var vector = await reader.GetFieldValueAsync<float[]>(1, cancellationToken);
                if (dimensions == 0)
                {
                    dimensions = vector.Length;
                }

                if (vector.Length == dimensions)
                {
                    ids.Add(reader.GetInt64(0));
                    vectors.AddRange(vector);
                }
            }
        }

        var loaded = new Snapshot(version, [.. ids], [.. vectors], dimensions);
        snapshots[collection] = loaded;
        Interlocked.Increment(ref loads);
        Volatile.Write(ref lastCheck, timeProvider.GetTimestamp());

        LogLoaded(ids.Count, collection, version, ModelId, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return loaded;
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Loaded {Count} chunk vectors of collection {Collection} (version {Version}) for {Model} in {ElapsedMs} ms")]
    private partial void LogLoaded(int count, string collection, long version, string model, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the chunk vectors for changes failed; the cached ones stay")]
    private partial void LogRecheckFailed(Exception exception);

    /// <summary>One consistent load of a collection: its version, chunk ids and their vectors, contiguous (row i at i × dimensions).</summary>
    private sealed record Snapshot(long Version, long[] ChunkIds, float[] Vectors, int Dimensions);
}
