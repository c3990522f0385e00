using System.Text.Json.Nodes;
using Agent.Persistence.Crons;

namespace Agent.Api.Crons;

/// <summary>Writes a cron as the LangGraph Server's <c>Cron</c> object.</summary>
internal static class CronJson
{
    /// <summary>The fields of a cron, for <c>select</c>.</summary>
    public static readonly string[] Fields =
        ["cron_id", "assistant_id", "thread_id", "on_run_completed", "end_time", "schedule", "timezone", "created_at", "updated_at",
         "payload", "user_id", "next_run_date", "metadata", "enabled"];

    /// <summary>
    /// Builds the LangGraph <c>Cron</c> object: <c>{cron_id, assistant_id, thread_id, on_run_completed, end_time, schedule,
    /// timezone, created_at, updated_at, payload, user_id, next_run_date, metadata, enabled}</c>
    /// (<c>langgraphjs:libs/sdk/src/schema.ts</c>); <c>payload</c> is the run body as submitted.
    /// </summary>
    /// <param name="cron">The cron.</param>
    /// <returns>The object.</returns>
    public static JsonObject From(Cron cron) => new()
    {
        ["cron_id"] = cron.CronId.ToString(),
        ["assistant_id"] = cron.AssistantId.ToString(),
        ["thread_id"] = cron.ThreadId?.ToString(),
        ["on_run_completed"] = cron.ThreadId is null ? cron.OnRunCompleted : null,
        ["end_time"] = cron.EndTime,
        ["schedule"] = cron.Schedule,
        ["timezone"] = cron.Timezone,
        ["created_at"] = cron.CreatedAt,
        ["updated_at"] = cron.UpdatedAt,
        ["payload"] = JsonNode.Parse(cron.Payload)?["body"]?.DeepClone() ?? new JsonObject(),
        ["user_id"] = null,
        ["next_run_date"] = cron.Enabled ? cron.NextRunDate : null,
        ["metadata"] = JsonNode.Parse(cron.Metadata),
        ["enabled"] = cron.Enabled,
    };
}
