using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Agent.Worker.Embeddings;

/// <summary>
/// The chunks' vectors of the configured model, cached in the worker's memory, and an exact similarity scan over
/// them: the vector half of hybrid search. PostgreSQL keeps the vectors (<c>agent.chunk_embeddings</c>, a plain
/// <c>real[]</c>: Debian 12 ships no pgvector); the scan is a SIMD dot product per chunk, under a millisecond for the
/// whole manual (about 10,000 chunks × 384 floats = 15 MB).
/// </summary>
/// <remarks>
/// The first search loads the cache. After that a search uses the cache it has, and at most every
/// <see cref="RecheckInterval"/> starts a background check of whether the vectors changed (their count and the
/// newest ingest), reloading when they did: a search never waits for a reload, and a re-ingest shows up within
/// seconds. One cache per process, shared by every run slot. The shape leaves room for a collection name (one cache
/// per collection) when collections come.
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

    private const string StampSql = """
        SELECT (SELECT count(*) FROM agent.chunk_embeddings WHERE model = @model)::text || '/'
            || (SELECT count(*) FROM agent.chunks)::text || '/'
            || coalesce((SELECT max(ingested_at) FROM agent.documents)::text, '')
        """;

    private const string LoadSql = """
        SELECT c.chunk_id, e.embedding
        FROM agent.chunks AS c
        JOIN agent.chunk_embeddings AS e ON e.model = @model AND e.text_hash = c.text_hash
        ORDER BY c.chunk_id
        """;

    private readonly SemaphoreSlim loadLock = new(1, 1);
    private Snapshot? snapshot;
    private long lastCheck;
    private int checking;

    /// <summary>Gets the model id the vectors are stored under.</summary>
    public string ModelId { get; } = EmbeddingModel.IdOf(generator);

    /// <summary>
    /// The chunks most similar to a question, most similar first (exact: every chunk is scored). The question is
    /// embedded only when some chunk has a vector, so a corpus ingested without embeddings costs no model call.
    /// </summary>
    /// <param name="question">The question.</param>
    /// <param name="count">How many to return.</param>
    /// <param name="cancellationToken">Cancels the embedding and the first load.</param>
    /// <returns>Chunk ids and cosine similarities; empty when no chunk has a vector.</returns>
    public async Task<IReadOnlyList<(long ChunkId, float Similarity)>> NearestAsync(string question, int count, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        var current = await CurrentAsync(cancellationToken);
        if (current.ChunkIds.Length == 0)
        {
            return [];
        }

        var embeddings = await generator.GenerateAsync([question], cancellationToken: cancellationToken);
        var query = embeddings[0].Vector.Span;
        if (query.Length != current.Dimensions)
        {
            return [];
        }

        // A bounded min-heap of the best so far: O(n log count) with count small.
        var best = new PriorityQueue<long, float>(count + 1);
        var vectors = current.Vectors.AsSpan();
        for (var i = 0; i < current.ChunkIds.Length; i++)
        {
            var similarity = VectorMath.Similarity(query, vectors.Slice(i * current.Dimensions, current.Dimensions));
            if (best.Count < count)
            {
                best.Enqueue(current.ChunkIds[i], similarity);
            }
            else if (best.TryPeek(out _, out var worst) && similarity > worst)
            {
                best.EnqueueDequeue(current.ChunkIds[i], similarity);
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

    /// <inheritdoc />
    public void Dispose() => loadLock.Dispose();

    /// <summary>Drops the cache: the next search loads it again (after an ingest in this process).</summary>
    public void Invalidate() => Volatile.Write(ref snapshot, null);

    private async Task<Snapshot> CurrentAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref snapshot);
        if (current is null)
        {
            await loadLock.WaitAsync(cancellationToken);
            try
            {
                current = Volatile.Read(ref snapshot) ?? await LoadAsync(cancellationToken);
            }
            finally
            {
                loadLock.Release();
            }
        }
        else if (timeProvider.GetElapsedTime(Volatile.Read(ref lastCheck)) > RecheckInterval
                 && Interlocked.CompareExchange(ref checking, 1, 0) == 0)
        {
            _ = Task.Run(() => RecheckAsync(current), CancellationToken.None);
        }

        return current;
    }

    private async Task RecheckAsync(Snapshot current)
    {
        try
        {
            if (await ReadStampAsync(CancellationToken.None) != current.Stamp)
            {
                await loadLock.WaitAsync();
                try
                {
                    await LoadAsync(CancellationToken.None);
                }
                finally
                {
                    loadLock.Release();
                }
            }
            else
            {
                Volatile.Write(ref lastCheck, timeProvider.GetTimestamp());
            }
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

    private async Task<string> ReadStampAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StampSql);
        command.Parameters.Add(new NpgsqlParameter<string>("model", ModelId));
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private async Task<Snapshot> LoadAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var stamp = await ReadStampAsync(cancellationToken);
        var ids = new List<long>();
        var vectors = new List<float>();
        var dimensions = 0;
        await using (var command = dataSource.CreateCommand(LoadSql))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("model", ModelId));
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

        var loaded = new Snapshot(stamp, [.. ids], [.. vectors], dimensions);
        Volatile.Write(ref snapshot, loaded);
        Volatile.Write(ref lastCheck, timeProvider.GetTimestamp());
        LogLoaded(ids.Count, ModelId, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return loaded;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} chunk vectors of {Model} in {ElapsedMs} ms")]
    private partial void LogLoaded(int count, string model, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the chunk vectors for changes failed; the cached ones stay")]
    private partial void LogRecheckFailed(Exception exception);

    /// <summary>One consistent load: chunk ids and their vectors, contiguous (row i at i × dimensions).</summary>
    private sealed record Snapshot(string Stamp, long[] ChunkIds, float[] Vectors, int Dimensions);
}
