using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Agent.Worker.Retrieval;

/// <summary>
/// The full-text half of hybrid search: an in-memory inverted index of the chunks' PostgreSQL search vectors, one
/// document collection at a time, scored with BM25F. PostgreSQL stays the source of truth and the analyser: the
/// postings are the stored <c>agent.chunks.search_vector</c> and <c>agent.documents.title_vector</c> (English
/// stemming and stop words as ingest wrote them), and a question's lexemes come from PostgreSQL's own
/// <c>to_tsvector('english', …)</c>, so both sides stem alike.
/// </summary>
/// <remarks>
/// <para>
/// Why in memory: ranking in SQL (<c>ts_rank_cd</c> over every chunk that shares any lexeme with the question) took
/// about 27 ms p50 on the manual, because a question's common words ("table", "create") match thousands of chunks and
/// each is ranked. Here one round trip analyses the question (about 0.2 ms), and the scoring walks only the postings
/// of the question's lexemes (well under a millisecond for the manual's 6,405 chunks).
/// </para>
/// <para>
/// Scoring: BM25F (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009, §3.6): a
/// lexeme's pseudo-frequency in a chunk is <c>TitleWeight × tf(title) + HeadingWeight × tf(heading) + tf(body) / (1 −
/// b + b × body length / average body length)</c>, and the chunk scores <c>Σ idf × f / (k1 + f)</c> over the question's
/// lexemes with <c>idf = ln(1 + (N − df + 0.5) / (df + 0.5))</c>, k1 = <see cref="K1"/>, b = <see cref="B"/>.
/// Heading is the search vector's weight A, body its weight B, title the page's title vector; tf counts positions.
/// Chunks that contain every lexeme of the question rank before those that contain only some (the "all terms" tier
/// of the SQL ranking this replaces), each tier by score. Words excluded with <c>-word</c> (<c>websearch_to_tsquery</c>
/// syntax) remove the chunks that contain them.
/// </para>
/// <para>
/// Freshness: the same round trip reads the collections' versions (<c>agent.document_collections.version</c>); a
/// search whose collection moved reloads it first, so a search never sees text older than its own round trip. The
/// version also moves when only vectors were added (ingest embeds in batches); a reload then first compares the
/// collection's chunk count and largest chunk id (chunks are never updated in place: a changed page gets new chunks),
/// and keeps the postings when they did not change. Each collection's index is a few MB (the manual: about 350,000
/// postings); one index per process, shared by every run slot.
/// </para>
/// </remarks>
/// <param name="dataSource">The agent database.</param>
/// <param name="logger">Logs loads.</param>
internal sealed partial class ChunkLexicalIndex(NpgsqlDataSource dataSource, ILogger<ChunkLexicalIndex> logger) : IDisposable
{
    /// <summary>BM25's term-frequency saturation, k1 (1.2, the usual value).</summary>
    public const float K1 = 1.2f;

    /// <summary>BM25's length normalisation of the body, b (0.75, the usual value).</summary>
    public const float B = 0.75f;

    /// <summary>How much a lexeme in the page title counts against one in the body (2).</summary>
    public const float TitleWeight = 2f;

    /// <summary>How much a lexeme in the section heading counts against one in the body (2).</summary>
    public const float HeadingWeight = 2f;

    // One round trip: the question's lexemes, the lexemes excluded with -word, and the versions of the collections.
    // websearch_to_tsquery never fails on user text; an excluded word reads !'lexeme' in its text form.
    private const string AnalyzeSql = """
        SELECT array(SELECT lexeme FROM unnest(to_tsvector('english', @query))),
               websearch_to_tsquery('english', @query)::text,
               array(SELECT name FROM agent.document_collections WHERE name = ANY(@collections) ORDER BY name),
               array(SELECT version FROM agent.document_collections WHERE name = ANY(@collections) ORDER BY name)
        """;

    private const string VersionSql = "SELECT version FROM agent.document_collections WHERE name = @collection";

    private const string StampSql = """
        SELECT count(*), coalesce(max(c.chunk_id), 0)
        FROM agent.documents AS d JOIN agent.chunks AS c ON c.document_id = d.document_id
        WHERE d.collection = @collection
        """;

    private const string LoadSql = """
        SELECT c.chunk_id, c.search_vector, d.title_vector
        FROM agent.documents AS d
        JOIN agent.chunks AS c ON c.document_id = d.document_id
        WHERE d.collection = @collection
        ORDER BY c.chunk_id
        """;

    private readonly SemaphoreSlim loadLock = new(1, 1);
    private readonly Dictionary<string, Snapshot> snapshots = new(StringComparer.Ordinal);
    private long loads;

    /// <summary>Gets how many times a collection's postings were read from the database (tests check reuse).</summary>
    internal long Loads => Interlocked.Read(ref loads);

    /// <summary>
    /// The chunks of the given collections that best match a question lexically, best first: chunks containing every
    /// lexeme of the question first, then by BM25F score.
    /// </summary>
    /// <param name="question">The question, in words (<c>websearch_to_tsquery</c> syntax: <c>-word</c> excludes).</param>
    /// <param name="count">How many to return.</param>
    /// <param name="collections">The collections to search; chunks of others are never returned.</param>
    /// <param name="cancellationToken">Cancels the round trip and a load.</param>
    /// <returns>Chunk ids and BM25F scores; empty when no chunk shares a lexeme with the question (or it has none).</returns>
    public async Task<IReadOnlyList<(long ChunkId, float Score)>> SearchAsync(
        string question, int count, IReadOnlyCollection<string> collections, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(collections);
        var (terms, excluded, versions) = await AnalyzeAsync(question, collections, cancellationToken);
        if (terms.Length == 0 || versions.Count == 0)
        {
            return [];
        }

        var hits = new List<Hit>();
        foreach (var (collection, version) in versions)
        {
            var snapshot = await CurrentAsync(collection, version, cancellationToken);
            snapshot.Score(terms, excluded, hits);
        }

        hits.Sort();
        return [.. hits.Take(count).Select(h => (h.ChunkId, h.Score))];
    }

    /// <inheritdoc />
    public void Dispose() => loadLock.Dispose();

    /// <summary>
    /// The lexemes of a question's <c>websearch_to_tsquery</c> text form that follow <c>!</c> (excluded words).
    /// </summary>
    /// <param name="tsquery">The text form, e.g. <c>'creat' &amp; 'index' &amp; !'gin'</c>.</param>
    /// <returns>The excluded lexemes, unquoted.</returns>
    internal static HashSet<string> ExcludedLexemes(string tsquery) =>
        [.. Excluded().Matches(tsquery).Select(m => m.Groups[1].Value.Replace("''", "'", StringComparison.Ordinal).Replace(@"\\", @"\", StringComparison.Ordinal))];

    private async Task<(string[] Terms, HashSet<string> Excluded, List<(string, long)> Versions)> AnalyzeAsync(
        string question, IReadOnlyCollection<string> collections, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(AnalyzeSql);
        command.Parameters.Add(new NpgsqlParameter<string>("query", question));
        command.Parameters.Add(new NpgsqlParameter<string[]>("collections", [.. collections]));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var excluded = ExcludedLexemes(reader.GetString(1));
        var terms = (await reader.GetFieldValueAsync<string[]>(0, cancellationToken)).Where(t => !excluded.Contains(t)).ToArray();
        var names = await reader.GetFieldValueAsync<string[]>(2, cancellationToken);
        var versions = await reader.GetFieldValueAsync<long[]>(3, cancellationToken);
        return (terms, excluded, [.. names.Zip(versions)]);
    }

    private async Task<Snapshot> CurrentAsync(string collection, long version, CancellationToken cancellationToken)
    {
        lock (snapshots)
        {
            if (snapshots.TryGetValue(collection, out var cached) && cached.Version == version)
            {
                return cached;
            }
        }

        await loadLock.WaitAsync(cancellationToken);
        try
        {
            Snapshot? current;
            lock (snapshots)
            {
                snapshots.TryGetValue(collection, out current);
            }

            if (current is not null && current.Version >= version)
            {
                return current;
            }

            var loaded = await LoadAsync(collection, current, cancellationToken);
            lock (snapshots)
            {
                snapshots[collection] = loaded;
            }

            return loaded;
        }
        finally
        {
            loadLock.Release();
        }
    }

    private async Task<Snapshot> LoadAsync(string collection, Snapshot? previous, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();

        // One transaction, repeatable read: the version, the stamp and the postings are one consistent state.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        long version;
        await using (var command = new NpgsqlCommand(VersionSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("collection", collection));
            version = await command.ExecuteScalarAsync(cancellationToken) is long v ? v : -1;
        }

        (long Count, long MaxChunkId) stamp;
        await using (var command = new NpgsqlCommand(StampSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("collection", collection));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            stamp = (reader.GetInt64(0), reader.GetInt64(1));
        }

        if (previous is not null && previous.Stamp == stamp)
        {
            return previous with { Version = version };
        }

        var builder = new SnapshotBuilder();
        await using (var command = new NpgsqlCommand(LoadSql, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<string>("collection", collection));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                builder.Add(
                    reader.GetInt64(0),
                    await reader.GetFieldValueAsync<NpgsqlTsVector>(1, cancellationToken),
                    await reader.GetFieldValueAsync<NpgsqlTsVector>(2, cancellationToken));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        var snapshot = builder.Build(version, stamp);
        Interlocked.Increment(ref loads);
        LogLoaded(snapshot.ChunkIds.Length, snapshot.TermCount, collection, version, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        return snapshot;
    }

    [GeneratedRegex(@"!\s*'((?:[^'\\]|''|\\.)*)'", RegexOptions.CultureInvariant)]
    private static partial Regex Excluded();

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Loaded the full-text postings of {Count} chunks ({Terms} lexemes) of collection {Collection} (version {Version}) in {ElapsedMs} ms")]
    private partial void LogLoaded(int count, int terms, string collection, long version, long elapsedMs);

    /// <summary>A scored chunk; sorts best first: all terms before some, then score, then chunk id.</summary>
    private readonly record struct Hit(long ChunkId, float Score, bool AllTerms) : IComparable<Hit>
    {
        public int CompareTo(Hit other) =>
            AllTerms != other.AllTerms ? (AllTerms ? -1 : 1)
            : Score != other.Score ? other.Score.CompareTo(Score)
            : ChunkId.CompareTo(other.ChunkId);
    }

    /// <summary>One posting: a chunk (index into the snapshot's ids) and the lexeme's BM25F pseudo-frequency in it.</summary>
    private readonly record struct Posting(int Chunk, float Frequency);

    /// <summary>One consistent load of a collection's postings.</summary>
    private sealed record Snapshot(long Version, (long Count, long MaxChunkId) Stamp, long[] ChunkIds, Dictionary<string, Posting[]> Postings)
    {
        public int TermCount => Postings.Count;

        /// <summary>Adds this collection's chunks that share a lexeme with the question (and contain no excluded one) to <paramref name="hits"/>.</summary>
        public void Score(string[] terms, HashSet<string> excluded, List<Hit> hits)
        {
            var n = ChunkIds.Length;
            var scores = new float[n];
            var matched = new int[n];
            var distinct = terms.Distinct(StringComparer.Ordinal).ToArray();
            foreach (var term in distinct)
            {
                if (!Postings.TryGetValue(term, out var postings))
                {
                    continue;
                }

                var df = postings.Length;
                var idf = MathF.Log(1 + ((n - df + 0.5f) / (df + 0.5f)));
                foreach (var posting in postings)
                {
                    scores[posting.Chunk] += idf * posting.Frequency / (K1 + posting.Frequency);
                    matched[posting.Chunk]++;
                }
            }

            foreach (var term in excluded)
            {
                if (Postings.TryGetValue(term, out var postings))
                {
                    foreach (var posting in postings)
                    {
                        matched[posting.Chunk] = 0;
                    }
                }
            }

            for (var i = 0; i < n; i++)
            {
                if (matched[i] > 0)
                {
                    hits.Add(new Hit(ChunkIds[i], scores[i], matched[i] == distinct.Length));
                }
            }
        }
    }

    /// <summary>Collects the postings of a load and turns counts into BM25F pseudo-frequencies.</summary>
    private sealed class SnapshotBuilder
    {
        private readonly List<long> chunkIds = [];
        private readonly List<int> bodyLengths = [];
        private readonly Dictionary<string, List<(int Chunk, int Title, int Heading, int Body)>> counts = new(StringComparer.Ordinal);

        public void Add(long chunkId, NpgsqlTsVector searchVector, NpgsqlTsVector titleVector)
        {
            var chunk = chunkIds.Count;
            chunkIds.Add(chunkId);
            var perTerm = new Dictionary<string, (int Title, int Heading, int Body)>(StringComparer.Ordinal);
            var bodyLength = 0;
            foreach (var lexeme in searchVector)
            {
                // A lexeme stored without positions still occurred once.
                int heading = 0, body = 0;
                for (var p = 0; p < lexeme.Count; p++)
                {
                    if (lexeme[p].Weight == NpgsqlTsVector.Lexeme.Weight.A)
                    {
                        heading++;
                    }
                    else
                    {
                        body++;
                    }
                }

                if (lexeme.Count == 0)
                {
                    body = 1;
                }

                bodyLength += body;
                perTerm[lexeme.Text] = (0, heading, body);
            }

            foreach (var lexeme in titleVector)
            {
                var title = Math.Max(lexeme.Count, 1);
                perTerm[lexeme.Text] = perTerm.TryGetValue(lexeme.Text, out var c) ? (title, c.Heading, c.Body) : (title, 0, 0);
            }

            bodyLengths.Add(bodyLength);
            foreach (var (term, c) in perTerm)
            {
                if (!counts.TryGetValue(term, out var list))
                {
                    counts[term] = list = [];
                }

                list.Add((chunk, c.Title, c.Heading, c.Body));
            }
        }

        public Snapshot Build(long version, (long, long) stamp)
        {
            var average = bodyLengths.Count == 0 ? 1f : Math.Max(1f, (float)bodyLengths.Average());
            var postings = new Dictionary<string, Posting[]>(counts.Count, StringComparer.Ordinal);
            foreach (var (term, list) in counts)
            {
                postings[term] = [.. list.Select(c => new Posting(c.Chunk,
                    (TitleWeight * c.Title) + (HeadingWeight * c.Heading) + (c.Body / (1 - B + (B * bodyLengths[c.Chunk] / average)))))];
            }

            return new Snapshot(version, stamp, [.. chunkIds], postings);
        }
    }
}
