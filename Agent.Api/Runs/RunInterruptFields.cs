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
            var (nodes, error) = Breakpoints.Read(node, field);
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

        if (command["goto"] is { } goTo && Breakpoints.NodeName(goTo) is null
            && (goTo is not JsonArray list || list.Count is 0 or > Breakpoints.MaxNodes || list.Any(n => Breakpoints.NodeName(n) is null)))
        {
            return (null, $"command.goto must be a node name or a list of node names (at most {Breakpoints.MaxNodes}); Send objects are not supported.");
        }

        kwargs["command"] = copy;
        return (kwargs, null);
    }
}
