namespace Agent.Persistence.Runs;

/// <summary>
/// Represents one run of an assistant on a thread (table <c>agent.runs</c>). The row is also the outbox of
/// <c>StartAgentRun</c>: it is committed before the message is published.
/// </summary>
public sealed class AgentRun
{
    /// <summary>The longest <see cref="IdempotencyKey"/> accepted, in characters (200).</summary>
    public const int IdempotencyKeyMaxLength = 200;

    /// <summary>Gets or sets the run id (UUIDv7, time ordered).</summary>
    public Guid RunId { get; set; }

    /// <summary>Gets or sets the tenant that owns the run (the tenant of its thread).</summary>
    public string TenantId { get; set; } = "";

    /// <summary>Gets or sets the thread the run belongs to.</summary>
    public Guid ThreadId { get; set; }

    /// <summary>Gets or sets the assistant whose graph and config the run uses.</summary>
    public Guid AssistantId { get; set; }

    /// <summary>Gets or sets the status; see <see cref="AgentRunStatus"/>.</summary>
    public AgentRunStatus Status { get; set; } = AgentRunStatus.Pending;

    /// <summary>Gets or sets the run's metadata object as JSON text (jsonb).</summary>
    public string Metadata { get; set; } = "{}";

    /// <summary>
    /// Gets or sets what the client submitted, as LangGraph's <c>kwargs</c> object (jsonb): <c>input</c>,
    /// <c>config</c>, <c>stream_mode</c>, <c>webhook</c> ...
    /// </summary>
    public string Kwargs { get; set; } = "{}";

    /// <summary>Gets or sets the multitask strategy (stored as its wire spelling). Default is <see cref="Runs.MultitaskStrategy.Enqueue"/>.</summary>
    public MultitaskStrategy MultitaskStrategy { get; set; } = MultitaskStrategy.Enqueue;

    /// <summary>Gets or sets the step limit (LangGraph <c>recursion_limit</c>). Default is 25.</summary>
    public int RecursionLimit { get; set; } = 25;

    /// <summary>Gets or sets the worker instance holding the lease, or null when none does.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>Gets or sets the fencing epoch: incremented by every claim; every step write is guarded by it.</summary>
    public long LeaseEpoch { get; set; }

    /// <summary>Gets or sets when the current lease expires (UTC); another worker may take the run over after it.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; set; }

    /// <summary>Gets or sets how many times a worker has claimed the run (the SSE <c>metadata.attempt</c>).</summary>
    public int Attempt { get; set; }

    /// <summary>Gets or sets the number of committed steps (model calls and tool rounds).</summary>
    public int StepCount { get; set; }

    /// <summary>Gets or sets the sequence number of the last committed run event (0 when none).</summary>
    public long LastEventSequence { get; set; }

    /// <summary>Gets or sets the input tokens of all model calls of the run.</summary>
    public long InputTokens { get; set; }

    /// <summary>Gets or sets the output tokens of all model calls of the run.</summary>
    public long OutputTokens { get; set; }

    /// <summary>Gets or sets the run's cost in USD (0 for the offline model).</summary>
    public decimal CostUsd { get; set; }

    /// <summary>Gets or sets the error object as JSON text (<c>{"error": type, "message": text}</c>), or null.</summary>
    public string? Error { get; set; }

    /// <summary>Gets or sets the requested cancel action (<c>interrupt</c> or <c>rollback</c>), or null.</summary>
    public string? CancelAction { get; set; }

    /// <summary>Gets or sets a value indicating whether the thread is deleted after the run (stateless <c>on_completion=delete</c>).</summary>
    public bool DeleteThreadOnCompletion { get; set; }

    /// <summary>
    /// Gets or sets when a run waiting out a transient failure (a provider outage, a 429) becomes due again (UTC), or
    /// null. Set together with status <c>pending</c> when the executor parks the run; the sweeper republishes the run
    /// once it is due, and a claim clears it. A claim before it is refused.
    /// </summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>Gets or sets how many times the run was parked to wait out a transient failure (0 when never).</summary>
    public int RetryCount { get; set; }

    /// <summary>
    /// Gets or sets when <c>StartAgentRun</c> was last (re)sent for the run by the sweeper or by a worker handing the run
    /// back (UTC), or null when only the API sent it. The sweeper uses it so it republishes a run once per period, not
    /// once per sweep.
    /// </summary>
    public DateTimeOffset? DispatchedAt { get; set; }

    /// <summary>
    /// Gets or sets the client's <c>Idempotency-Key</c> header of the request that created the run (at most 200
    /// characters), or null. Unique: a retried request with the same key gets this run back instead of a new one.
    /// </summary>
    public string? IdempotencyKey { get; set; }

    /// <summary>
    /// Gets or sets the earliest time the run may start (UTC), from <c>after_seconds</c>; null when it may start at
    /// once. A worker never claims a run before it; the worker's scheduler loop clears it and sends the run when due.
    /// </summary>
    public DateTimeOffset? StartAfter { get; set; }

    /// <summary>
    /// Gets or sets the run queue it is sent to (<c>config.configurable.queue</c> of the run, else of its assistant;
    /// see <see cref="Agent.Contracts.Runs.RunQueueName"/>), or null for the default queue. Every send of the run
    /// (accept, sweep, hand-back, release) goes to this queue.
    /// </summary>
    public string? Queue { get; set; }

    /// <summary>Gets or sets the creation time (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets the last update time (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Gets or sets when a worker first claimed the run (UTC).</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Gets or sets when the run reached a terminal status (UTC).</summary>
    public DateTimeOffset? EndedAt { get; set; }
}
