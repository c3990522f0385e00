using System.Text.Json.Nodes;

namespace Agent.Api.Http;

/// <summary>
/// Reads a breakpoint list, LangGraph's <c>interrupt_before</c> / <c>interrupt_after</c> (of a run, or of an
/// assistant's <c>config.configurable</c>): <c>"*"</c> (every node) or a list of node names.
/// </summary>
internal static class Breakpoints
{
    /// <summary>The most node names one list takes: 64.</summary>
    public const int MaxNodes = 64;

    /// <summary>The longest node name accepted: 64 characters (the checkpoints' <c>node</c> column).</summary>
    public const int MaxNodeName = 64;

    /// <summary>Checks a list and copies it.</summary>
    /// <param name="node">The value, or null.</param>
    /// <param name="field">The field's name, for the detail.</param>
    /// <returns>The list (null when absent), or a 422 detail.</returns>
    public static (JsonNode? Nodes, string? Error) Read(JsonNode? node, string field)
    {
        if (node is null)
        {
            return (null, null);
        }

        if (node is JsonValue value && value.TryGetValue<string>(out var all) && all == "*")
        {
            return (JsonValue.Create("*"), null);
        }

        return node is JsonArray list && list.Count <= MaxNodes && list.All(n => NodeName(n) is not null)
            ? (list.DeepClone(), null)
            : (null, $"{field} must be \"*\" or a list of at most {MaxNodes} node names (strings of 1 to {MaxNodeName} characters).");
    }

    /// <summary>Reads a node name: a string of 1 to <see cref="MaxNodeName"/> characters.</summary>
    /// <param name="node">The value.</param>
    /// <returns>The name, or null when the value is not one.</returns>
    public static string? NodeName(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var name) && name.Length is > 0 and <= MaxNodeName ? name : null;
}
