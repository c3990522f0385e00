using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Crons;

namespace Agent.Api.Crons;

/// <summary>Writes a cron as the LangGraph Server's <c>Cron</c> object (a <see cref="CronResource"/>).</summary>
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
    public static JsonObject From(Cron cron) => ApiJsonContext.ToObject(
        new CronResource(
            cron.CronId, cron.AssistantId, cron.ThreadId, cron.ThreadId is null ? cron.OnRunCompleted : null, cron.EndTime, cron.Schedule,
            cron.Timezone, cron.CreatedAt, cron.UpdatedAt, JsonNode.Parse(cron.Payload)?["body"]?.DeepClone() ?? new JsonObject(), UserId: null,
            cron.Enabled ? cron.NextRunDate : null, JsonNode.Parse(cron.Metadata), cron.Enabled),
        CronsJsonContext.Default.CronResource);
}
