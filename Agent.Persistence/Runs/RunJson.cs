using System.Text.Json.Nodes;
using Agent.Persistence.Wire;

namespace Agent.Persistence.Runs;

/// <summary>
/// Writes a run as the LangGraph Server's <c>Run</c> object, plus our extensions: <c>attempt</c>, <c>usage</c>
/// (input, output and total tokens), <c>cost_usd</c>, <c>step_count</c>, <c>error</c>, and for a run waiting out a
/// transient failure <c>retry_count</c> and <c>next_attempt_at</c>.
/// </summary>
public static class RunJson
{
    /// <summary>Builds the JSON object of a run.</summary>
    /// <param name="run">The run.</param>
    /// <returns>The object.</returns>
    public static JsonObject From(AgentRun run) => new()
    {
        ["run_id"] = run.RunId.ToString(),
        ["thread_id"] = run.ThreadId.ToString(),
        ["assistant_id"] = run.AssistantId.ToString(),
        ["created_at"] = run.CreatedAt,
        ["updated_at"] = run.UpdatedAt,
        ["status"] = WireName.Of(run.Status),
        ["metadata"] = JsonNode.Parse(run.Metadata),
        ["kwargs"] = JsonNode.Parse(run.Kwargs),
        ["multitask_strategy"] = WireName.Of(run.MultitaskStrategy),
        ["attempt"] = run.Attempt,
        ["step_count"] = run.StepCount,
        ["usage"] = new JsonObject
        {
            ["input_tokens"] = run.InputTokens,
            ["output_tokens"] = run.OutputTokens,
            ["total_tokens"] = run.InputTokens + run.OutputTokens,
        },
        ["cost_usd"] = run.CostUsd,
        ["error"] = run.Error is null ? null : JsonNode.Parse(run.Error),
        ["retry_count"] = run.RetryCount,
        ["next_attempt_at"] = run.NextAttemptAt,
        ["started_at"] = run.StartedAt,
        ["ended_at"] = run.EndedAt,
    };
}
