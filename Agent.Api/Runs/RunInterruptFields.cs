using System.Text.Json.Nodes;
using Agent.Api.Http;

namespace Agent.Api.Runs;

/// <summary>
/// Reads a run's human-in-the-loop fields (LangGraph Server API, <c>RunCreate</c>): <c>command</c>
/// (<c>{"resume"?, "update"?, "goto"?}</c>, LangGraph's <c>Command</c>), <c>interrupt_before</c> and
/// <c>interrupt_after</c> (<c>"*"</c> or a list of node names). The worker applies them (docs/api.md, "Interrupts").
/// </summary>
internal static class RunInterruptFields
{
    /// <summary>The most node names one <c>interrupt_before</c> / <c>interrupt_after</c> list takes: 64.</summary>
    public const int MaxNodes = 64;

    /// <summary>The longest node name accepted: 64 characters (the checkpoints' <c>node</c> column).</summary>
    public const int MaxNodeName = 64;

    private static readonly string[] CommandKeys = ["resume", "update", "goto"];

    /// <summary>Validates the fields and returns what the run's kwargs keep of them.</summary>
    /// <param name="commandNode">The body's <c>command</c>, or null.</param>
    /// <param name="before">The body's <c>interrupt_before</c>, or null.</param>
    /// <param name="after">The body's <c>interrupt_after</c>, or null.</param>
    /// <param name="hasInput">Whether the body's <c>input</c> is given (not null): <c>command</c> excludes it.</param>
    /// <param name="limits">The input bounds, for the messages of <c>command.update</c>.</param>
    /// <returns>The kwargs entries (<c>command</c> with its update's messages in LangChain form, and the lists), or a 422 detail.</returns>
    public static (JsonObject? Kwargs, string? Error) Read(JsonNode? commandNode, JsonNode? before, JsonNode? after, bool hasInput, ApiLimits limits)
    {
        var kwargs = new JsonObject();
        foreach (var (field, node) in new[] { ("interrupt_before", before), ("interrupt_after", after) })
        {
            var (nodes, error) = Nodes(node, field);
            if (error is not null)
            {
                return (null, error);
            }

            if (nodes is not null)
            {
                kwargs[field] = nodes;
            }
        }

        if (commandNode is null)
        {
            return (kwargs, null);
        }

        if (commandNode is not JsonObject command)
        {
            return (null, "command must be an object: {\"resume\": ...}, {\"update\": {...}} and/or {\"goto\": \"node\"}.");
        }

        if (command.Select(p => p.Key).FirstOrDefault(k => !CommandKeys.Contains(k)) is { } unknown)
        {
            return (null, $"command.{unknown} is not a field of command; it takes resume, update and goto.");
        }

        if (hasInput)
        {
            return (null, "input and command cannot both be given: a command resumes or steers the thread's paused run, input starts a new one.");
        }

        var copy = (JsonObject)command.DeepClone();
        if (command["update"] is { } update)
        {
            if (update is not JsonObject updateObject)
            {
                return (null, "command.update must be an object of channel values, e.g. {\"messages\": [...]}.");
            }

            if (updateObject["messages"] is { } messages)
            {
                var (normalized, error) = InputMessageNormalizer.Normalize(messages, limits);
                if (error is not null)
                {
                    return (null, "command.update: " + error);
                }

                copy["update"]!["messages"] = normalized;
            }
        }

        if (command["goto"] is { } goTo && Name(goTo) is null
            && (goTo is not JsonArray list || list.Count is 0 or > MaxNodes || list.Any(n => Name(n) is null)))
        {
            return (null, $"command.goto must be a node name or a list of node names (at most {MaxNodes}); Send objects are not supported.");
        }

        kwargs["command"] = copy;
        return (kwargs, null);
    }

    /// <summary>Checks a breakpoint list: null, <c>"*"</c>, or at most <see cref="MaxNodes"/> node names.</summary>
    /// <param name="node">The value.</param>
    /// <param name="field">The field's name, for the detail.</param>
    /// <returns>Null when valid, else the 422 detail.</returns>
    public static string? NodesError(JsonNode? node, string field) => Nodes(node, field).Error;

    private static (JsonNode? Nodes, string? Error) Nodes(JsonNode? node, string field)
    {
        if (node is null)
        {
            return (null, null);
        }

        if (node is JsonValue value && value.TryGetValue<string>(out var all) && all == "*")
        {
            return (JsonValue.Create("*"), null);
        }

        return node is JsonArray list && list.Count <= MaxNodes && list.All(n => Name(n) is not null)
            ? (list.DeepClone(), null)
            : (null, $"{field} must be \"*\" or a list of at most {MaxNodes} node names (strings of 1 to {MaxNodeName} characters).");
    }

    private static string? Name(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var name) && name.Length is > 0 and <= MaxNodeName ? name : null;
}
