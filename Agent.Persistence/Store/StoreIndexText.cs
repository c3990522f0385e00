using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Agent.Persistence.Store;

/// <summary>
/// Turns an item's value and its <c>index</c> (LangGraph's <c>put(..., index=...)</c>) into the text the store's
/// full-text search reads: <c>null</c> indexes every string in the value, <c>false</c> indexes nothing (the item is
/// never found by a <c>query</c>), and a list of field paths indexes the strings under those fields only.
/// </summary>
/// <remarks>
/// A path is LangGraph's: field names separated by <c>.</c>, each optionally followed by <c>[*]</c> (every element)
/// or <c>[n]</c> (one element), e.g. <c>title</c>, <c>author.name</c>, <c>sections[*].text</c>; <c>$</c> is the
/// whole value. A path that names nothing adds nothing.
/// </remarks>
public static class StoreIndexText
{
    /// <summary>The most field paths one <c>index</c> may list: 64.</summary>
    public const int MaxPaths = 64;

    /// <summary>Checks an <c>index</c>: null, <c>false</c>, or a list of 1 to <see cref="MaxPaths"/> non-empty paths.</summary>
    /// <param name="index">The field's value.</param>
    /// <returns>A reason for a 422, or null.</returns>
    public static string? Check(JsonNode? index)
    {
        switch (index)
        {
            case null:
                return null;
            case JsonValue value when value.GetValueKind() == JsonValueKind.False:
                return null;
            case JsonArray { Count: > 0 and <= MaxPaths } paths
                when paths.All(p => p is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0):
                return null;
            default:
                return $"index must be false, null, or a list of 1 to {MaxPaths} field paths such as [\"title\", \"sections[*].text\"].";
        }
    }

    /// <summary>Builds the search text.</summary>
    /// <param name="value">The item's value.</param>
    /// <param name="index">The checked <c>index</c> (see <see cref="Check"/>).</param>
    /// <returns>The strings found, one per line, or null for <c>index: false</c>.</returns>
    public static string? From(JsonObject value, JsonNode? index)
    {
        ArgumentNullException.ThrowIfNull(value);
        var text = new StringBuilder();
        switch (index)
        {
            case null:
                AppendStrings(value, text);
                break;
            case JsonArray paths:
                foreach (var path in paths)
                {
                    foreach (var node in Select(value, path!.GetValue<string>()))
                    {
                        AppendStrings(node, text);
                    }
                }

                break;
            default:
                return null;
        }

        return text.ToString();
    }

    private static IEnumerable<JsonNode?> Select(JsonNode root, string path)
    {
        IEnumerable<JsonNode?> current = [root];
        if (path == "$")
        {
            return current;
        }

        foreach (var segment in path.Split('.'))
        {
            var bracket = segment.IndexOf('[', StringComparison.Ordinal);
            var name = bracket < 0 ? segment : segment[..bracket];
            var next = name.Length == 0 ? current : current.Select(n => n is JsonObject o ? o[name] : null);
            if (bracket >= 0 && segment.EndsWith(']'))
            {
                var selector = segment[(bracket + 1)..^1];
                next = selector == "*"
                    ? next.SelectMany(n => n is JsonArray a ? a : [])
                    : int.TryParse(selector, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i)
                        ? next.Select(n => n is JsonArray a && i >= -a.Count && i < a.Count ? a[i < 0 ? a.Count + i : i] : null)
                        : [];
            }

            current = next.Where(n => n is not null).ToList();
        }

        return current;
    }

    private static void AppendStrings(JsonNode? node, StringBuilder text)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    AppendStrings(child, text);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    AppendStrings(child, text);
                }

                break;
            case JsonValue v when v.TryGetValue<string>(out var s):
                text.AppendLine(s);
                break;
        }
    }
}
