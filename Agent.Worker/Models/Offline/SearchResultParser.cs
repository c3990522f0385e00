using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace Agent.Worker.Models.Offline;

/// <summary>
/// Reads the JSON text that the <c>search_documents</c> tool returns:
/// <c>{"query":"...","results":[{"document_id":..,"chunk_id":..,"source":"..","title":"..","heading":"..",
/// "text":"..","rank":..}]}</c>.
/// </summary>
internal static class SearchResultParser
{
    /// <summary>
    /// Parses a tool result; missing optional fields (<c>heading</c>, <c>rank</c>, ids) default to null or 0, and a
    /// result without <c>text</c> is skipped.
    /// </summary>
    /// <param name="json">The tool result's JSON text.</param>
    /// <param name="passages">The passages in the tool's order (best rank first), possibly empty.</param>
    /// <returns><see langword="true"/> when <paramref name="json"/> is an object with a <c>results</c> array.</returns>
    public static bool TryParse(string json, [NotNullWhen(true)] out IReadOnlyList<SearchPassage>? passages)
    {
        passages = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return false;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("results", out var results)
                || results.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            var list = new List<SearchPassage>();
            foreach (var result in results.EnumerateArray())
            {
                if (result.ValueKind == JsonValueKind.Object && String(result, "text") is { Length: > 0 } text)
                {
                    list.Add(new SearchPassage(
                        Int64(result, "document_id"),
                        Int64(result, "chunk_id"),
                        String(result, "source") ?? string.Empty,
                        String(result, "title") ?? string.Empty,
                        String(result, "heading"),
                        text,
                        Double(result, "rank")));
                }
            }

            passages = list;
            return true;
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long Int64(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetInt64(out var number) ? number : 0;

    private static double Double(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            && value.TryGetDouble(out var number) ? number : 0;
}
