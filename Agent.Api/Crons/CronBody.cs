using System.Text.Json.Serialization;
using Agent.Api.Http;
using Agent.Api.Runs;

namespace Agent.Api.Crons;

/// <summary>
/// The cron's own fields of a cron create or patch body as they come over the wire (LangGraph <c>CronCreate</c> /
/// <c>CronUpdate</c>, reference section 7.1). Every other field of the body is a run field, read as a
/// <see cref="RunCreate"/>; <see cref="CronRequest"/> tells the two apart by this record's field names.
/// </summary>
internal sealed record CronBody
{
    /// <summary>Gets the five-field cron expression (or a macro such as <c>@daily</c>); required on create.</summary>
    [JsonPropertyName("schedule")]
    [WireError("schedule '' is not a five-field cron expression (minute hour day-of-month month day-of-week), e.g. '27 15 * * *'.")]
    public string? Schedule { get; init; }

    /// <summary>Gets the IANA time zone the schedule is read in, or null for UTC.</summary>
    [JsonPropertyName("timezone")]
    [WireError("timezone '' is not a known IANA time zone.")]
    public string? Timezone { get; init; }

    /// <summary>Gets when the cron stops (ISO 8601, UTC when no offset is given); an explicit null clears it on patch.</summary>
    [JsonPropertyName("end_time")]
    [WireError("end_time must be an ISO 8601 date-time.")]
    public string? EndTime { get; init; }

    /// <summary>Gets whether the cron fires, or null to leave it (true on create).</summary>
    [JsonPropertyName("enabled")]
    public bool? Enabled { get; init; }

    /// <summary>Gets what a stateless cron's run does to its thread when it ends, or null to leave it.</summary>
    [JsonPropertyName("on_run_completed")]
    [WireError("on_run_completed must be 'delete' or 'keep'.")]
    public OnCompletionBehavior? OnRunCompleted { get; init; }

    /// <summary>Gets what a thread cron on a missing thread does (create only), or null for <see cref="IfNotExists.Reject"/>.</summary>
    [JsonPropertyName("if_not_exists")]
    [WireError("if_not_exists must be 'create' or 'reject'.")]
    public IfNotExists? IfNotExists { get; init; }
}
