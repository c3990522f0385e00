namespace Agent.Persistence.Crons;

/// <summary>
/// Represents a LangGraph cron job (table <c>agent.crons</c>): a run payload fired on a schedule, on a new thread
/// each time (<c>POST /runs/crons</c>) or on one thread (<c>POST /threads/{thread_id}/runs/crons</c>).
/// </summary>
/// <remarks>
/// <see cref="NextRunDate"/> is the claim token of the next tick: the worker's scheduler fires a tick by moving it
/// forward with a conditional <c>UPDATE ... WHERE next_run_date = old</c> in the same transaction that inserts the
/// run, so each tick fires exactly once across all worker replicas.
/// </remarks>
public sealed class Cron
{
    /// <summary>Gets or sets the cron id.</summary>
    public Guid CronId { get; set; }

    /// <summary>Gets or sets the tenant that owns the cron.</summary>
    public string TenantId { get; set; } = "";

    /// <summary>Gets or sets the assistant whose graph and config the cron's runs use.</summary>
    public Guid AssistantId { get; set; }

    /// <summary>Gets or sets the thread every run goes to, or null for a new thread per run.</summary>
    public Guid? ThreadId { get; set; }

    /// <summary>Gets or sets the schedule: a five-field cron expression (minute hour day month weekday), e.g. <c>27 15 * * *</c>.</summary>
    public required string Schedule { get; set; }

    /// <summary>Gets or sets the IANA time zone the schedule is read in. Default is <c>UTC</c>.</summary>
    public string Timezone { get; set; } = "UTC";

    /// <summary>Gets or sets when the cron stops firing (UTC), or null for never.</summary>
    public DateTimeOffset? EndTime { get; set; }

    /// <summary>
    /// Gets or sets the validated run payload as JSON text (jsonb): <c>{"kwargs", "metadata", "recursion_limit",
    /// "multitask_strategy", "webhook"?}</c>, what the API would store on a run created from the same body.
    /// </summary>
    public string Payload { get; set; } = "{}";

    /// <summary>Gets or sets the cron's own metadata object as JSON text (jsonb).</summary>
    public string Metadata { get; set; } = "{}";

    /// <summary>Gets or sets a value indicating whether the cron fires. Default is true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets what happens to a stateless cron's thread after its run: <c>delete</c> (default) or <c>keep</c>.</summary>
    public string OnRunCompleted { get; set; } = "delete";

    /// <summary>Gets or sets the next tick (UTC), or null when the schedule has no further tick before <see cref="EndTime"/>.</summary>
    public DateTimeOffset? NextRunDate { get; set; }

    /// <summary>Gets or sets the creation time (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets the last update time (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }
}
