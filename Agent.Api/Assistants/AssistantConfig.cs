using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Documents;

namespace Agent.Api.Assistants;

/// <summary>
/// Validates an assistant's <c>config</c>: what its runs use (the worker reads it at every run). Known keys are
/// <c>recursion_limit</c> (the step budget of its runs unless a run sets its own, 1 to 1,000), <c>tags</c> (strings,
/// stored) and <c>configurable</c>, whose <c>model</c> (string), <c>system_prompt</c> (string, at most 100,000
/// characters), <c>tools</c> (names of the tools the graph's worker published, <see cref="GraphToolset"/>),
/// <c>mcp_servers</c> (names of the MCP servers its operator configured), <c>collections</c> (document collection
/// names, <see cref="DocumentCollectionName"/>), <c>approve_tools</c> (tool names whose calls a human approves first) and
/// <c>interrupt_before</c> / <c>interrupt_after</c> (<c>"*"</c> or node names: the breakpoints of runs that set none)
/// the graphs read; other <c>configurable</c> keys are kept for the client, as LangGraph keeps them.
/// </summary>
internal static class AssistantConfig
{
    /// <summary>The 422 detail of a <c>recursion_limit</c> that is not an integer from 1 to <see cref="ApiLimits.MaxRecursionLimit"/>'s default.</summary>
    public const string RecursionLimitError = "config.recursion_limit must be an integer between 1 and 1000.";

    /// <summary>The longest system prompt accepted, in characters. Default is 100,000.</summary>
    public const int MaxSystemPromptLength = 100_000;

    /// <summary>Validates a <c>config</c> value.</summary>
    /// <param name="node">The value (null reads as <c>{}</c>).</param>
    /// <param name="toolset">The tools and MCP servers the assistant's graph has.</param>
    /// <returns>The config, or a 422 detail naming the field at fault.</returns>
    public static (JsonObject? Config, string? Error) Validate(JsonNode? node, GraphToolset toolset)
    {
        if (node is null)
        {
            return ([], null);
        }

        if (node is not JsonObject config)
        {
            return (null, "config must be an object.");
        }

        var (body, error) = WireBody.Read(config, AssistantsJsonContext.Default.AssistantConfigBody);
        if (error is not null)
        {
            return (null, error);
        }

        if (body!.RecursionLimit is < 1 || body.RecursionLimit > ApiLimits.Default.MaxRecursionLimit)
        {
            return (null, RecursionLimitError);
        }

        if (body.Configurable is { } configurable && ValidateConfigurable(configurable, toolset) is { } configurableError)
        {
            return (null, configurableError);
        }

        return ((JsonObject)config.DeepClone(), null);
    }

    /// <summary>
    /// Checks <c>configurable.collections</c> (of an assistant's or a run's config): absent, or a list of valid document
    /// collection names (<see cref="DocumentCollectionName"/>). Whether the collections hold documents is not checked:
    /// one not ingested yet finds nothing.
    /// </summary>
    /// <param name="configurable">The <c>configurable</c> object.</param>
    /// <returns>Null when valid, else a 422 detail naming the field.</returns>
    public static string? CollectionsError(JsonObject configurable)
    {
        ArgumentNullException.ThrowIfNull(configurable);
        if (!configurable.TryGetPropertyValue("collections", out var node) || node is null)
        {
            return null;
        }

        if (node is not JsonArray list || list.Any(c => c is not JsonValue value || !value.TryGetValue<string>(out _)))
        {
            return "config.configurable.collections must be a list of strings (document collection names).";
        }

        foreach (var name in list.Select(c => c!.GetValue<string>()))
        {
            if (DocumentCollectionName.Check(name) is { } error)
            {
                return $"config.configurable.collections: {Http.ApiRequest.Truncate(error)}";
            }
        }

        return null;
    }

    private static string? ValidateConfigurable(JsonObject configurable, GraphToolset toolset)
    {
        foreach (var key in new[] { "model", "system_prompt" })
        {
            if (configurable[key] is { } value && (value is not JsonValue v || !v.TryGetValue<string>(out _)))
            {
                return $"config.configurable.{key} must be a string.";
            }
        }

        if (configurable["system_prompt"]?.GetValue<string>() is { Length: > MaxSystemPromptLength })
        {
            return $"config.configurable.system_prompt is longer than {MaxSystemPromptLength} characters.";
        }

        return CollectionsError(configurable)
            ?? QueueError(configurable)
            ?? ValidateNames(configurable, "tools", "tool", toolset.Tools)
            ?? ValidateNames(configurable, "mcp_servers", "MCP server", toolset.McpServers)
            ?? ValidateNames(configurable, "approve_tools", "tool", toolset.Tools)
            ?? Breakpoints.Read(configurable["interrupt_before"], "config.configurable.interrupt_before").Error
            ?? Breakpoints.Read(configurable["interrupt_after"], "config.configurable.interrupt_after").Error;
    }

    // configurable.queue: a well-formed queue name; whether the API accepts it is checked when a run is submitted.
    private static string? QueueError(JsonObject configurable) =>
        configurable[Agent.Contracts.Runs.RunQueueName.ConfigKey] is not { } node
            ? null
            : node is JsonValue value && value.TryGetValue<string>(out var name) && Agent.Contracts.Runs.RunQueueName.Check(name) is null
                ? null
                : $"config.configurable.queue must be a run queue's name ({Agent.Contracts.Runs.RunQueueName.Check("")}).";

    // A list of names, each one the graph's worker published.
    private static string? ValidateNames(JsonObject configurable, string key, string what, IReadOnlyList<string> known)
    {
        if (configurable[key] is not { } names)
        {
            return null;
        }

        if (names is not JsonArray list || list.Any(t => t is not JsonValue tv || !tv.TryGetValue<string>(out _)))
        {
            return $"config.configurable.{key} must be a list of {what} names.";
        }

        var unknown = list.Select(t => t!.GetValue<string>()).FirstOrDefault(t => !known.Contains(t, StringComparer.Ordinal));
        return unknown is null
            ? null
            : $"config.configurable.{key} names an unknown {what} '{Http.ApiRequest.Truncate(unknown)}'; " +
              $"{what}s: {(known.Count == 0 ? "none" : string.Join(", ", known))}.";
    }
}
