using System.Text.Json.Nodes;
using Agent.Persistence.Runs;

namespace Agent.Worker.Runs;

/// <summary>
/// The state a run's graph works on: the thread's messages on the run's branch (the fold of its checkpoints), where the
/// run's own messages start, the run's settings and budget, its <see cref="RunProgress"/>, the values of the graph's
/// other channels and the node whose step was committed last.
/// </summary>
/// <param name="Progress">The run's progress.</param>
/// <param name="Messages">The messages, oldest first; each committed step's delta is applied to them.</param>
/// <param name="FirstOwnMessage">The index of the run's first own message (loop detection counts only those).</param>
/// <param name="Settings">The run's model, prompt and tool settings.</param>
/// <param name="Budget">The run's budget.</param>
/// <param name="Values">The channels' values other than <c>messages</c> (<see cref="ChannelValues"/>); each committed step's values are applied.</param>
internal sealed record RunState(RunProgress Progress, JsonArray Messages, int FirstOwnMessage, RunSettings Settings, RunBudget Budget, JsonObject Values)
{
    /// <summary>Gets or sets the node whose step was committed last; <see cref="ReservedNodes.Start"/> before the run's first node.</summary>
    public string LastNode { get; set; } = ReservedNodes.Start;

    /// <summary>Gets the run's breakpoints and resume values (<see cref="Interrupts.RunInterrupts"/>). Default: none.</summary>
    public Interrupts.RunInterrupts Interrupts { get; init; } = global::Agent.Worker.Interrupts.RunInterrupts.None;
}

/// <summary>
/// A run's settings: <c>config.configurable</c> of the run, else of its assistant (LangGraph merges them so).
/// </summary>
/// <param name="Model">The model (<c>model</c>), or null for the default.</param>
/// <param name="ToolSelectionModel">The model for tool-choosing steps, or null.</param>
/// <param name="SystemPrompt">The system prompt, or null for the agent's default.</param>
/// <param name="Tools">The tools offered (<c>tools</c>); null means all.</param>
/// <param name="Collections">
/// The document collections the retrieval tools read (<c>collections</c>, a list of names); null means the graph's
/// default collections.
/// </param>
/// <param name="McpServers">The MCP servers whose tools are offered (<c>mcp_servers</c>); null means every configured one.</param>
/// <param name="ApproveTools">The tools whose calls a human approves before they run (<c>approve_tools</c>); null means none.</param>
internal sealed record RunSettings(
    string? Model, string? ToolSelectionModel, string? SystemPrompt, HashSet<string>? Tools, IReadOnlyList<string>? Collections = null,
    HashSet<string>? McpServers = null, HashSet<string>? ApproveTools = null)
{
    /// <summary>Reads the settings from a run's kwargs and its assistant's config.</summary>
    /// <param name="kwargs">The run's kwargs.</param>
    /// <param name="assistantConfig">The assistant's config.</param>
    /// <param name="toolSelectionModelKey">The key of the tool-selection model.</param>
    /// <returns>The settings.</returns>
    public static RunSettings Read(JsonObject kwargs, JsonNode? assistantConfig, string toolSelectionModelKey) =>
        new(
            Setting(kwargs, assistantConfig, "model"),
            Setting(kwargs, assistantConfig, toolSelectionModelKey),
            Setting(kwargs, assistantConfig, "system_prompt"),
            ListSetting(kwargs, assistantConfig, "tools")?.ToHashSet(StringComparer.Ordinal),
            ListSetting(kwargs, assistantConfig, "collections"),
            ListSetting(kwargs, assistantConfig, "mcp_servers")?.ToHashSet(StringComparer.Ordinal),
            ListSetting(kwargs, assistantConfig, "approve_tools")?.ToHashSet(StringComparer.Ordinal));

    private static List<string>? ListSetting(JsonObject kwargs, JsonNode? assistantConfig, string key)
    {
        foreach (var candidate in new[] { kwargs["config"]?["configurable"]?[key], assistantConfig?["configurable"]?[key] })
        {
            if (candidate is JsonArray list)
            {
                return [.. list.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var name) ? name : null).OfType<string>().Distinct(StringComparer.Ordinal)];
            }
        }

        return null;
    }

    private static string? Setting(JsonObject kwargs, JsonNode? assistantConfig, string key)
    {
        foreach (var candidate in new[] { kwargs["config"]?["configurable"]?[key], assistantConfig?["configurable"]?[key] })
        {
            if (candidate is JsonValue value && value.TryGetValue<string>(out var setting))
            {
                return setting;
            }
        }

        return null;
    }
}
