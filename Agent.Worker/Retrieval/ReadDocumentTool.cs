using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Agent.Worker.Tools;
using Npgsql;

namespace Agent.Worker.Retrieval;

/// <summary>
/// The <c>read_document</c> tool: returns one ingested page's text, its sections in order, each prefixed by its heading.
/// </summary>
/// <remarks>
/// Returns <c>{"document_id":12,"source":"...","title":"...","text":"...","truncated":false}</c>. A heading is
/// written once for consecutive chunks of the same split section. The text is cut at <c>max_chars</c> characters
/// (default <see cref="DefaultMaxChars"/>) and <c>truncated</c> says whether it was. Only documents of the run's
/// collections (<see cref="ToolInvocation.Collections"/>) can be read: another id is a tool error, worded as for an id
/// that does not exist.
/// </remarks>
/// <param name="dataSource">The agent database.</param>
internal sealed class ReadDocumentTool(NpgsqlDataSource dataSource) : AgentToolFunction
{
    /// <summary>The tool name the model calls.</summary>
    public const string ToolName = "read_document";

    /// <summary>The text length returned when <c>max_chars</c> is not given, in characters.</summary>
    public const int DefaultMaxChars = 8000;

    /// <summary>The largest <c>max_chars</c> allowed, in characters.</summary>
    public const int MaxMaxChars = 100_000;

    /// <summary>The smallest <c>max_chars</c> allowed, in characters.</summary>
    public const int MinMaxChars = 100;

    private const string DocumentSql = """
        SELECT source, title FROM agent.documents
        WHERE document_id = @id AND (@collections::text[] IS NULL OR collection = ANY(@collections))
        """;

    private const string ChunksSql = "SELECT heading, content FROM agent.chunks WHERE document_id = @id ORDER BY ordinal";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <inheritdoc />
    public override string Name => ToolName;

    /// <inheritdoc />
    public override string Description =>
        "Reads one document (for the built-in agent, a page of the PostgreSQL 15 manual) by its document_id (from " +
        "search_documents): the document's sections " +
        "in order, each starting with its heading, cut at max_chars characters (truncated says whether it was cut).";

    /// <inheritdoc />
    public override JsonElement ParametersSchema { get; } = JsonDocument.Parse($$"""
        {
          "type": "object",
          "properties": {
            "document_id": {
              "type": "integer",
              "description": "The document_id of a search_documents result.",
              "minimum": 1
            },
            "max_chars": {
              "type": "integer",
              "description": "The most characters of text to return.",
              "minimum": {{MinMaxChars}},
              "maximum": {{MaxMaxChars}},
              "default": {{DefaultMaxChars}}
            }
          },
          "required": ["document_id"],
          "additionalProperties": false
        }
        """).RootElement.Clone();

    /// <inheritdoc />
    /// <exception cref="ToolArgumentException">
    /// <c>document_id</c> is missing, not a positive integer or names no document of the run's collections, or <c>max_chars</c> is not an
    /// integer from <see cref="MinMaxChars"/> to <see cref="MaxMaxChars"/>.
    /// </exception>
    public override async Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken)
    {
        RetrievalToolArguments.RequireObject(arguments);
        if (!arguments.TryGetProperty("document_id", out var idValue) || idValue.ValueKind == JsonValueKind.Null)
        {
            throw new ToolArgumentException("'document_id' is required.");
        }

        var documentId = RetrievalToolArguments.GetOptionalInteger(arguments, "document_id", 0, 1, long.MaxValue);
        var maxChars = (int)RetrievalToolArguments.GetOptionalInteger(arguments, "max_chars", DefaultMaxChars, MinMaxChars, MaxMaxChars);

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        string source, title;
        await using (var command = new NpgsqlCommand(DocumentSql, connection))
        {
            command.Parameters.Add(new NpgsqlParameter<long>("id", documentId));
            command.Parameters.Add(new NpgsqlParameter("collections", NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Text)
            {
                Value = invocation.Collections is { } collections ? collections.ToArray() : DBNull.Value,
            });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                throw new ToolArgumentException(invocation.Collections is { } scope
                    ? $"No document with id {documentId} in the collections this assistant reads ({string.Join(", ", scope)})."
                    : $"No document with id {documentId}");
            }

            (source, title) = (reader.GetString(0), reader.GetString(1));
        }

        var text = new StringBuilder();
        await using (var command = new NpgsqlCommand(ChunksSql, connection))
        {
            command.Parameters.Add(new NpgsqlParameter<long>("id", documentId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            string? previousHeading = null;
            while (await reader.ReadAsync(cancellationToken))
            {
                var heading = reader.GetString(0);
                if (text.Length > 0)
                {
                    text.Append("\n\n");
                }

                if (heading != previousHeading)
                {
                    text.Append(heading).Append("\n\n");
                    previousHeading = heading;
                }

                text.Append(reader.GetString(1));
                if (text.Length > maxChars)
                {
                    // Enough read: the rest would be cut anyway.
                    break;
                }
            }
        }

        var truncated = text.Length > maxChars;
        var cut = truncated && char.IsHighSurrogate(text[maxChars - 1]) ? maxChars - 1 : maxChars;
        var body = truncated ? text.ToString(0, cut) : text.ToString();

        using var buffer = new MemoryStream();
        await using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteNumber("document_id", documentId);
            writer.WriteString("source", source);
            writer.WriteString("title", title);
            writer.WriteString("text", body);
            writer.WriteBoolean("truncated", truncated);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
