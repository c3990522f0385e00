using System.Text.Json;
using Agent.Worker.Models.Offline;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Models.Offline;

/// <summary>
/// Realistic search results from the PostgreSQL 15 manual (text copied from
/// /usr/share/doc/postgresql-doc-15/html) and conversations built around them.
/// </summary>
internal static class ManualPassages
{
    public const string Question = "How do I create a GIN index on a tsvector column?";

    public const string GinLine = "CREATE INDEX name ON table USING GIN (column);";

    public const string HashLine = "CREATE INDEX name ON table USING HASH (column);";

    public const string SearchCallId = "call_from_the_loop";

    /// <summary>indexes-types.html: ranked first, about index types in general (a near miss: a Hash example).</summary>
    public static readonly SearchPassage IndexTypes = new(
        3, 31, "indexes-types.html", "Index Types", "11.2. Index Types",
        """
        PostgreSQL provides several index types: B-tree, Hash, GiST, SP-GiST, GIN, BRIN, and the extension bloom. Each index type uses a different algorithm that is best suited to different types of indexable clauses. By default, the CREATE INDEX command creates B-tree indexes, which fit the most common situations. The other index types are selected by writing the keyword USING followed by the index type name. For example, to create a Hash index:

        CREATE INDEX name ON table USING HASH (column);
        """,
        0.61);

    /// <summary>textsearch-indexes.html: the passage that answers the question.</summary>
    public static readonly SearchPassage TextSearchIndexes = new(
        7, 702, "textsearch-indexes.html", "Preferred Index Types for Text Search",
        "12.9. Preferred Index Types for Text Search",
        """
        There are two kinds of indexes that can be used to speed up full text searches: GIN and GiST. Note that indexes are not mandatory for full text searching, but in cases where a column is searched on a regular basis, an index is usually desirable.

        To create such an index, do one of:

        CREATE INDEX name ON table USING GIN (column);

        Creates a GIN (Generalized Inverted Index)-based index. The column must be of tsvector type.

        CREATE INDEX name ON table USING GIST (column [ { DEFAULT | tsvector_ops } (siglen = number) ] );

        Creates a GiST (Generalized Search Tree)-based index. The column can be of tsvector or tsquery type. Optional integer parameter siglen determines signature length in bytes (see below for details).

        GIN indexes are the preferred text search index type. As inverted indexes, they contain an index entry for each word (lexeme), with a compressed list of matching locations. Multi-word searches can find the first match, then use the index to remove rows that are lacking additional words.
        """,
        0.45);

    /// <summary>datatype-textsearch.html: about the tsvector type, not about indexes.</summary>
    public static readonly SearchPassage TsvectorType = new(
        2, 18, "datatype-textsearch.html", "Text Search Types", "8.11.1. tsvector",
        """
        A tsvector value is a sorted list of distinct lexemes, which are words that have been normalized to merge different variants of the same word (see Chapter 12 for details). Sorting and duplicate-elimination are done automatically during input, as shown in this example:

        SELECT 'a fat cat sat on a mat and ate a fat rat'::tsvector;

        Weights are typically used to reflect document structure, for example by marking title words differently from body words. Text search ranking functions can assign different priorities to the different weight markers.
        """,
        0.32);

    public static IReadOnlyList<SearchPassage> All { get; } = [IndexTypes, TextSearchIndexes, TsvectorType];

    /// <summary>Returns the JSON text the search_documents tool produces for <paramref name="passages"/>.</summary>
    public static string ToolResultJson(string query, IEnumerable<SearchPassage> passages) =>
        JsonSerializer.Serialize(new
        {
            query,
            results = passages.Select(p => new Dictionary<string, object?>
            {
                ["document_id"] = p.DocumentId,
                ["chunk_id"] = p.ChunkId,
                ["source"] = p.Source,
                ["title"] = p.Title,
                ["heading"] = p.Heading,
                ["text"] = p.Text,
                ["rank"] = p.Rank,
            }),
        });

    /// <summary>Returns options offering the search_documents tool, as the agent loop does.</summary>
    public static ChatOptions OptionsWithSearch() => new()
    {
        Tools =
        [
            AIFunctionFactory.CreateDeclaration(
                "search_documents",
                "Searches the PostgreSQL manual and returns the best-matching passages.",
                JsonDocument.Parse("""
                    {"type":"object","properties":{"query":{"type":"string"},"k":{"type":"integer"}},"required":["query"]}
                    """).RootElement),
        ],
    };

    /// <summary>Returns a conversation holding only the question.</summary>
    public static List<ChatMessage> Asked(string question = Question) =>
        [new(ChatRole.System, "You answer questions about PostgreSQL from its manual."), new(ChatRole.User, question)];

    /// <summary>Returns the conversation after the loop ran the search call and appended its result.</summary>
    public static List<ChatMessage> Searched(IEnumerable<SearchPassage> passages, string question = Question)
    {
        var arguments = new Dictionary<string, object?> { ["query"] = question, ["k"] = 5 };
        var conversation = Asked(question);
        conversation.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(SearchCallId, "search_documents", arguments)]));
        conversation.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(SearchCallId, ToolResultJson(question, passages))]));
        return conversation;
    }

    /// <summary>Returns <paramref name="passage"/> with its text as one line, as a chunker that collapses whitespace makes it.</summary>
    public static SearchPassage Collapsed(SearchPassage passage) =>
        passage with { Text = string.Join(' ', passage.Text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)) };
}
