using System.Text.Json.Nodes;

namespace Agent.Api.Crons;

/// <summary>
/// The LangGraph Server's <c>Cron</c> object (reference section 7.1; <c>langgraphjs:libs/sdk/src/schema.ts</c>),
/// serialized by <see cref="CronsJsonContext"/> with snake_case names in this order.
/// </summary>
/// <param name="CronId">The cron's id.</param>
/// <param name="AssistantId">The assistant its runs use.</param>
/// <param name="ThreadId">The thread its runs go to, or null for a new thread per run.</param>
/// <param name="OnRunCompleted">A stateless cron's <c>delete</c> or <c>keep</c>; null for a thread cron.</param>
/// <param name="EndTime">When it stops firing (UTC), or null.</param>
/// <param name="Schedule">The five-field cron expression.</param>
/// <param name="Timezone">The IANA time zone of the schedule.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="UpdatedAt">When it last changed (UTC).</param>
/// <param name="Payload">The run body as submitted.</param>
/// <param name="UserId">Always null: this server has no users, only tenants.</param>
/// <param name="NextRunDate">Its next firing (UTC), or null when disabled or ended.</param>
/// <param name="Metadata">The runs' metadata object.</param>
/// <param name="Enabled">Whether it fires.</param>
internal sealed record CronResource(
    Guid CronId, Guid AssistantId, Guid? ThreadId, string? OnRunCompleted, DateTimeOffset? EndTime, string Schedule, string Timezone,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, JsonNode Payload, string? UserId, DateTimeOffset? NextRunDate, JsonNode? Metadata,
    bool Enabled);
