using System.Text.Encodings.Web;
using System.Text.Json;
using Agent.Worker.Embeddings;
using Agent.Worker.Tools;
using Npgsql;

namespace Agent.Worker.Retrieval;

/// <summary>
/// The <c>search_documents</c> tool: hybrid search over the ingested chunks, full-text search (BM25F over
/// PostgreSQL's stemmed search vectors) fused with the embedding model's vector similarity by reciprocal rank fusion.
/// </summary>
/// <remarks>
/// <para>
/// Full text: <see cref="ChunkLexicalIndex"/> (in memory, fed and kept fresh from PostgreSQL, the question's
/// lexemes from PostgreSQL's own English analysis): chunks containing every lexeme of the question first, then
/// chunks containing some, each tier by BM25F with the page title and the section heading weighted over the body.
/// The best <see cref="CandidateCount"/> go on.
/// </para>
/// <para>
/// Vectors: the question is embedded and the <see cref="CandidateCount"/> most similar chunks come from
/// <see cref="ChunkVectorIndex"/> (exact scan, in memory). This finds the paraphrases full text cannot: "the fastest
/// way to empty a table" finds TRUNCATE. The two halves run concurrently.
/// </para>
/// <para>
/// Fusion: each chunk scores <c>1/(60 + full-text rank) + 1/(60 + vector rank)</c> (reciprocal rank fusion, the
/// constant 60 of Cormack et al., 2009), best first; the figures behind the choice are in BENCHMARKS.md
/// (<c>deploy/local/eval.sh</c>). Without an embedding model (<c>Embeddings:Provider=None</c>) the order is the
/// full-text order. One SQL statement then reads the best <c>k</c> chunks that still exist.
/// </para>
/// <para>
/// Scope: only the run's document collections (<see cref="ToolInvocation.Collections"/>: the run's
/// <c>config.configurable.collections</c>, else the graph's default collections) are searched, on both sides and again
/// when the results are read, so a result never comes from another collection. A run with no collection is told so
/// (a tool error); outside a run (the eval) every collection is searched.
/// </para>
/// <para>
/// Returns
/// <c>{"query":"...","results":[{"document_id":12,"chunk_id":345,"source":"sql-createindex.html","title":"CREATE INDEX","heading":"Description","text":"...","rank":0.0328}]}</c>,
/// where <c>rank</c> is the fused score.
/// </para>
/// </remarks>
/// <param name="dataSource">The agent database.</param>
/// <param name="lexical">The full-text index.</param>
/// <param name="vectors">The vector index; null: full text only.</param>
internal sealed class SearchDocumentsTool(NpgsqlDataSource dataSource, ChunkLexicalIndex lexical, ChunkVectorIndex? vectors = null) : AgentToolFunction
{
    /// <summary>The tool name the model calls.</summary>
    public const string ToolName = "search_documents";

    /// <summary>The number of results when <c>k</c> is not given.</summary>
    public const int DefaultK = 5;

    /// <summary>The largest <c>k</c> allowed.</summary>
    public const int MaxK = 20;

    /// <summary>The longest chunk text returned per result, in characters; longer text is cut and ends in an ellipsis.</summary>
    public const int MaxTextChars = 1500;

    /// <summary>The longest query accepted, in characters.</summary>
    public const int MaxQueryChars = 1000;

    /// <summary>How many candidates each side (full text, vectors) brings to the fusion.</summary>
    public const int CandidateCount = 40;

    /// <summary>The reciprocal rank fusion constant: a rank r scores 1 / (RrfK + r).</summary>
    public const int RrfK = 60;

    // The fused ids come best first; a chunk deleted since a cache was loaded, or of another collection, drops out.
    private const string FetchSql = """
        SELECT c.document_id, c.chunk_id, d.source, d.title, c.heading, left(c.content, @max_text),
               length(c.content) > @max_text, f.score::float8
        FROM unnest(@ids, @scores) WITH ORDINALITY AS f(chunk_id, score, position)
        JOIN agent.chunks AS c ON c.chunk_id = f.chunk_id
        JOIN agent.documents AS d ON d.document_id = c.document_id
        WHERE d.collection = ANY(@collections)
        ORDER BY f.position
        LIMIT @k
        """;

    private const string AllCollectionsSql = "SELECT name FROM agent.document_collections ORDER BY name";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc />
    public override string Name => ToolName;

    /// <inheritdoc />
    public override string Description =>
        "Searches the documents this assistant reads (for the built-in agent, the PostgreSQL 15 manual; full text with " +
        "English stemming, fused with semantic similarity) and " +
        "returns the best-matching sections: " +
        "document_id, chunk_id, source file, page title, section heading, the section text (cut at 1500 characters) " +
        "and a rank. Describe what you need in words; exact terms help. Use read_document with a document_id " +
        "to read a whole page.";

    /// <inheritdoc />
    public override JsonElement ParametersSchema { get; } = JsonDocument.Parse($$"""
        {
          "type": "object",
          "properties": {
            "query": {
              "type": "string",
              "description": "What to look for: keywords or a question, e.g. 'create a GIN index on a tsvector column'. Supports \"quoted phrases\", OR and -excluded words.",
              "minLength": 1,
              "maxLength": {{MaxQueryChars}}
            },
            "k": {
              "type": "integer",
              "description": "How many sections to return.",
              "minimum": 1,
              "maximum": {{MaxK}},
              "default": {{DefaultK}}
            }
          },
          "required": ["query"],
          "additionalProperties": false
        }
        """).RootElement.Clone();

    /// <inheritdoc />
    /// <exception cref="ToolArgumentException">
    /// The query is missing, blank or longer than <see cref="MaxQueryChars"/>, or <c>k</c> is not an integer from 1 to
    /// <see cref="MaxK"/>.
    /// </exception>
    /// <exception cref="ToolFailedException">The run has no document collection to search.</exception>
    public override async Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken)
    {
        RetrievalToolArguments.RequireObject(arguments);
        var query = RetrievalToolArguments.GetRequiredString(arguments, "query");
        if (query.Length > MaxQueryChars)
        {
            throw new ToolArgumentException($"'query' must be at most {MaxQueryChars} characters, not {query.Length}.");
        }

        var k = (int)RetrievalToolArguments.GetOptionalInteger(arguments, "k", DefaultK, 1, MaxK);
        var collections = invocation.Collections ?? await AllCollectionsAsync(cancellationToken);
        if (invocation.Collections is { Count: 0 })
        {
            throw new ToolFailedException(NoCollectionsMessage);
        }

        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("query", query);
            writer.WriteStartArray("results");

            var (ids, scores) = await FuseAsync(query, collections, cancellationToken);
            await using var command = dataSource.CreateCommand(FetchSql);
            command.Parameters.Add(new NpgsqlParameter<long[]>("ids", ids));
            command.Parameters.Add(new NpgsqlParameter<double[]>("scores", scores));
            command.Parameters.Add(new NpgsqlParameter<int>("max_text", MaxTextChars));
            command.Parameters.Add(new NpgsqlParameter<int>("k", k));
            command.Parameters.Add(new NpgsqlParameter<string[]>("collections", [.. collections]));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                writer.WriteStartObject();
                writer.WriteNumber("document_id", reader.GetInt64(0));
                writer.WriteNumber("chunk_id", reader.GetInt64(1));
                writer.WriteString("source", reader.GetString(2));
                writer.WriteString("title", reader.GetString(3));
                writer.WriteString("heading", reader.GetString(4));
                writer.WriteString("text", reader.GetBoolean(6) ? reader.GetString(5) + "…" : reader.GetString(5));
                writer.WriteNumber("rank", Math.Round(reader.GetDouble(7), 5));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>The tool error of a run whose config and graph name no document collection.</summary>
    internal const string NoCollectionsMessage =
        "No document collection is configured for this assistant: set config.configurable.collections or the graph's default collections.";

    /// <summary>
    /// The candidates of both halves fused by reciprocal rank, best first (ties by chunk id).
    /// </summary>
    /// <param name="query">The question.</param>
    /// <param name="collections">The collections searched.</param>
    /// <param name="cancellationToken">Cancels both halves.</param>
    /// <returns>Chunk ids and fused scores, in the same order.</returns>
    internal async Task<(long[] Ids, double[] Scores)> FuseAsync(
        string query, IReadOnlyCollection<string> collections, CancellationToken cancellationToken)
    {
        var fullText = lexical.SearchAsync(query, CandidateCount, collections, cancellationToken);
        var nearest = vectors is null
            ? []
            : await vectors.NearestAsync(query, CandidateCount, collections, cancellationToken);
        var lexicalHits = await fullText;

        var fused = new Dictionary<long, double>();
        for (var i = 0; i < lexicalHits.Count; i++)
        {
            fused[lexicalHits[i].ChunkId] = 1.0 / (RrfK + i + 1);
        }

        for (var i = 0; i < nearest.Count; i++)
        {
            fused[nearest[i].ChunkId] = fused.GetValueOrDefault(nearest[i].ChunkId) + (1.0 / (RrfK + i + 1));
        }

        var ordered = fused.OrderByDescending(f => f.Value).ThenBy(f => f.Key).ToList();
        return ([.. ordered.Select(f => f.Key)], [.. ordered.Select(f => f.Value)]);
    }

    private async Task<IReadOnlyList<string>> AllCollectionsAsync(CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using var command = dataSource.CreateCommand(AllCollectionsSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }
}
