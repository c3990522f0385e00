using System.Globalization;
using System.Text.Json.Nodes;

namespace Agent.Persistence.Runs;

/// <summary>
/// The limits a run must stay within, besides LangGraph's <c>recursion_limit</c> (the step budget):
/// input tokens, output tokens, cost in USD, wall time, and identical tool calls (loop detection).
/// </summary>
/// <remarks>
/// Read from <c>config.configurable.budget</c> of the assistant (the ceiling) and of the run (which may lower
/// but never raise a limit the assistant sets), e.g.
/// <c>{"max_input_tokens": 50000, "max_output_tokens": 4000, "max_cost_usd": 0.25, "max_wall_time_seconds": 300,
/// "max_identical_tool_calls": 3}</c>.
/// A null limit is unlimited. The API validates the run's budget at submission (422); the worker enforces the
/// effective budget before each model call (projected) and after it (actual).
/// </remarks>
/// <param name="MaxInputTokens">The most input (prompt) tokens the run's model calls may use in total, or null.</param>
/// <param name="MaxOutputTokens">The most output (completion) tokens in total, or null.</param>
/// <param name="MaxCostUsd">The most the run's model calls may cost in total, in USD, or null.</param>
/// <param name="MaxWallTimeSeconds">
/// The most seconds from the run's first claim to its end, or null for the worker's <c>AgentWorker:RunTimeoutSeconds</c>
/// alone; the smaller of the two applies, and reaching it ends the run <c>timeout</c>.
/// </param>
/// <param name="MaxIdenticalToolCalls">
/// How many times the run may call the same tool with the same arguments; one more is a loop. Default
/// <see cref="DefaultMaxIdenticalToolCalls"/>.
/// </param>
public sealed record RunBudget(
    long? MaxInputTokens = null,
    long? MaxOutputTokens = null,
    decimal? MaxCostUsd = null,
    double? MaxWallTimeSeconds = null,
    int MaxIdenticalToolCalls = RunBudget.DefaultMaxIdenticalToolCalls)
{
    /// <summary>The loop-detection threshold when none is configured: 3 identical calls allowed, the 4th stops the run.</summary>
    public const int DefaultMaxIdenticalToolCalls = 3;

    /// <summary>The name of the budget object inside <c>config.configurable</c>.</summary>
    public const string ConfigKey = "budget";

    /// <summary>An unlimited budget (loop detection at its default).</summary>
    public static RunBudget Unlimited { get; } = new();

    /// <summary>
    /// Combines the assistant's budget (the ceiling) with the run's.
    /// </summary>
    /// <param name="assistantConfig">The assistant's <c>config</c> object, or null.</param>
    /// <param name="runConfig">The run's <c>config</c> object, or null.</param>
    /// <returns>The effective budget, or the reason the run's budget is invalid or above the ceiling.</returns>
    public static (RunBudget? Budget, string? Error) Resolve(JsonNode? assistantConfig, JsonNode? runConfig)
    {
        var (ceiling, assistantError) = Parse(assistantConfig?["configurable"]?[ConfigKey], "assistant config.configurable.budget");
        if (ceiling is null)
        {
            return (null, assistantError);
        }

        var (requested, runError) = Parse(runConfig?["configurable"]?[ConfigKey], "config.configurable.budget");
        if (requested is null)
        {
            return (null, runError);
        }

        if (Above(requested.MaxInputTokens, ceiling.MaxInputTokens) is { } input)
        {
            return (null, $"config.configurable.budget.max_input_tokens ({requested.MaxInputTokens}) is above the assistant's ceiling ({input}).");
        }

        if (Above(requested.MaxOutputTokens, ceiling.MaxOutputTokens) is { } output)
        {
            return (null, $"config.configurable.budget.max_output_tokens ({requested.MaxOutputTokens}) is above the assistant's ceiling ({output}).");
        }

        if (ceiling.MaxCostUsd is { } maxCost && requested.MaxCostUsd is { } cost && cost > maxCost)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"config.configurable.budget.max_cost_usd ({cost}) is above the assistant's ceiling ({maxCost})."));
        }

        if (ceiling.MaxWallTimeSeconds is { } maxWall && requested.MaxWallTimeSeconds is { } wall && wall > maxWall)
        {
            return (null, string.Create(CultureInfo.InvariantCulture,
                $"config.configurable.budget.max_wall_time_seconds ({wall}) is above the assistant's ceiling ({maxWall})."));
        }

        return (new RunBudget(
            requested.MaxInputTokens ?? ceiling.MaxInputTokens,
            requested.MaxOutputTokens ?? ceiling.MaxOutputTokens,
            requested.MaxCostUsd ?? ceiling.MaxCostUsd,
            requested.MaxWallTimeSeconds ?? ceiling.MaxWallTimeSeconds,
            Math.Min(requested.MaxIdenticalToolCalls, ceiling.MaxIdenticalToolCalls)), null);
    }

    private static long? Above(long? requested, long? ceiling) =>
        requested is { } r && ceiling is { } c && r > c ? c : null;

    private static (RunBudget? Budget, string? Error) Parse(JsonNode? node, string where)
    {
        if (node is null)
        {
            return (Unlimited, null);
        }

        if (node is not JsonObject budget)
        {
            return (null, $"{where} must be an object.");
        }

        long? maxInput = null, maxOutput = null;
        decimal? maxCost = null;
        double? maxWall = null;
        var maxIdentical = DefaultMaxIdenticalToolCalls;
        foreach (var (key, value) in budget)
        {
            switch (key)
            {
                case "max_input_tokens" when PositiveLong(value) is { } v:
                    maxInput = v;
                    break;
                case "max_output_tokens" when PositiveLong(value) is { } v:
                    maxOutput = v;
                    break;
                case "max_cost_usd" when value is JsonValue json && json.TryGetValue<decimal>(out var cost) && cost > 0:
                    maxCost = cost;
                    break;
                case "max_wall_time_seconds" when value is JsonValue json && json.TryGetValue<double>(out var seconds) && seconds > 0:
                    maxWall = seconds;
                    break;
                case "max_identical_tool_calls" when PositiveLong(value) is { } v && v <= 1000:
                    maxIdentical = (int)v;
                    break;
                case "max_input_tokens" or "max_output_tokens" or "max_identical_tool_calls":
                    return (null, $"{where}.{key} must be a positive integer.");
                case "max_cost_usd":
                    return (null, $"{where}.{key} must be a positive number (USD).");
                case "max_wall_time_seconds":
                    return (null, $"{where}.{key} must be a positive number (seconds).");
                default:
                    return (null, $"{where}.{key} is not a budget; known: max_input_tokens, max_output_tokens, max_cost_usd, max_wall_time_seconds, max_identical_tool_calls.");
            }
        }

        return (new RunBudget(maxInput, maxOutput, maxCost, maxWall, maxIdentical), null);
    }

    private static long? PositiveLong(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<long>(out var v) && v > 0 ? v : null;
}
