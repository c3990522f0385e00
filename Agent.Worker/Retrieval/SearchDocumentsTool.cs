using System.Text.Encodings.Web;
using System.Text.Json;
using Agent.Worker.Tools;
using Npgsql;

namespace Agent.Worker.Retrieval;

/// <summary>
/// The <c>search_documents</c> tool: PostgreSQL full-text search over the ingested chunks.
/// </summary>
/// <remarks>
/// A natural-language question ANDs all its terms in <c>websearch_to_tsquery</c> and often matches nothing, so
/// chunks matching ALL terms come first, then chunks matching ANY term (an OR query built from the question's
/// lexemes), each tier by <c>ts_rank_cd</c>, best first. Both queries use the GIN index on
/// <c>agent.chunks.search_vector</c>. Returns
/// <c>{"query":"...","results":[{"document_id":12,"chunk_id":345,"source":"sql-createindex.html","title":"CREATE INDEX","heading":"Description","text":"...","rank":0.52}]}</c>.
/// </remarks>
/// <param name="dataSource">The agent database.</param>
internal sealed class SearchDocumentsTool(NpgsqlDataSource dataSource) : IAgentTool
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

    // The OR query is assembled from the question's own lexemes, each quoted for tsquery input (backslash and quote
    // escaped), so no user text is ever parsed as tsquery syntax. The document title is prepended (weight A) for
    // ranking only, so a chunk of the CREATE INDEX page titled "Description" still ranks as CREATE INDEX text.
    private const string SearchSql = """
        WITH q AS (
            SELECT websearch_to_tsquery('english', @query) AS all_terms,
                   (SELECT string_agg('''' || replace(replace(lexeme, E'\\', E'\\\\'), '''', '''''') || '''', ' | ')
                      FROM unnest(tsvector_to_array(to_tsvector('english', @query))) AS lexeme)::tsquery AS any_terms
        ), matches AS (
            SELECT c.chunk_id, c.document_id, c.heading, c.content, d.source, d.title,
                   c.search_vector @@ q.all_terms AS all_match,
                   setweight(to_tsvector('english', d.title), 'A') || c.search_vector AS ranked_vector,
                   q.all_terms, q.any_terms
            FROM q
            JOIN agent.chunks AS c ON c.search_vector @@ q.any_terms
            JOIN agent.documents AS d ON d.document_id = c.document_id
        )
        SELECT document_id, chunk_id, source, title, heading, left(content, @max_text), length(content) > @max_text,
               ts_rank_cd(ranked_vector, CASE WHEN all_match THEN all_terms ELSE any_terms END)::float8 AS rank
        FROM matches
        ORDER BY all_match DESC, rank DESC, chunk_id
        LIMIT @k
        """;

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc />
    public string Name => ToolName;

    /// <inheritdoc />
    public string Description =>
        "Searches the PostgreSQL 15 manual (full-text, English stemming) and returns the best-matching sections: " +
        "document_id, chunk_id, source file, page title, section heading, the section text (cut at 1500 characters) " +
        "and a rank. Sections containing all the query's words come first. Use read_document with a document_id " +
        "to read a whole page.";

    /// <inheritdoc />
    public JsonElement ParametersSchema { get; } = JsonDocument.Parse($$"""
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
    public async Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken)
    {
        RetrievalToolArguments.RequireObject(arguments);
        var query = RetrievalToolArguments.GetRequiredString(arguments, "query");
        if (query.Length > MaxQueryChars)
        {
            throw new ToolArgumentException($"'query' must be at most {MaxQueryChars} characters, not {query.Length}.");
        }

        var k = (int)RetrievalToolArguments.GetOptionalInteger(arguments, "k", DefaultK, 1, MaxK);

        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("query", query);
            writer.WriteStartArray("results");

            await using var command = dataSource.CreateCommand(SearchSql);
            command.Parameters.Add(new NpgsqlParameter<string>("query", query));
            command.Parameters.Add(new NpgsqlParameter<int>("max_text", MaxTextChars));
            command.Parameters.Add(new NpgsqlParameter<int>("k", k));
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
                writer.WriteNumber("rank", Math.Round(reader.GetDouble(7), 4));
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
