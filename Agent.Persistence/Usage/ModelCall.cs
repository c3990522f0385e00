namespace Agent.Persistence.Usage;

/// <summary>
/// Represents one model call of a run (table <c>agent.model_calls</c>), written in the same fenced transaction as the
/// step's checkpoint, so a call is recorded exactly when its step is committed. The thread, assistant and tenant are
/// copied from the run at insert time, so usage aggregates by them without joins. The view
/// <c>agent.model_call_usage</c> adds the UTC <c>day</c>; <c>agent.usage_daily</c> sums by day, assistant and model.
/// </summary>
public sealed class ModelCall
{
    /// <summary>Gets or sets the call id (UUIDv7, time ordered).</summary>
    public Guid ModelCallId { get; set; }

    /// <summary>Gets or sets the run that made the call.</summary>
    public Guid RunId { get; set; }

    /// <summary>Gets or sets the run's step that made the call (unique per run and <see cref="CheckpointNs"/>).</summary>
    public int Step { get; set; }

    /// <summary>
    /// Gets or sets the checkpoint namespace of the step (LangGraph's <c>checkpoint_ns</c>): empty for the run's own
    /// graph, <c>node:task_id</c> (nested ones joined by <c>|</c>) for a subgraph's step, whose steps count from 0 again.
    /// Default is empty.
    /// </summary>
    public string CheckpointNs { get; set; } = "";

    /// <summary>Gets or sets the run's thread (copied from the run).</summary>
    public Guid ThreadId { get; set; }

    /// <summary>Gets or sets the run's assistant (copied from the run).</summary>
    public Guid AssistantId { get; set; }

    /// <summary>Gets or sets the run's tenant (copied from the run; null only for rows written before tenancy).</summary>
    public string? TenantId { get; set; }

    /// <summary>Gets or sets the provider (<c>gen_ai.provider.name</c>: <c>openai</c>, <c>azure.ai.openai</c>, <c>offline</c> ...).</summary>
    public required string Provider { get; set; }

    /// <summary>Gets or sets the model that answered (the response model, else the requested one; <c>unknown</c> if neither).</summary>
    public required string Model { get; set; }

    /// <summary>Gets or sets the input (prompt) tokens the provider reported; 0 when it reported none.</summary>
    public long InputTokens { get; set; }

    /// <summary>Gets or sets the output (completion) tokens the provider reported; 0 when it reported none.</summary>
    public long OutputTokens { get; set; }

    /// <summary>Gets or sets the cached input tokens (a subset of the input tokens), or null when not reported.</summary>
    public long? CachedInputTokens { get; set; }

    /// <summary>Gets or sets the call's wall time in milliseconds, first request byte to last streamed update.</summary>
    public double LatencyMs { get; set; }

    /// <summary>Gets or sets the finish reason (<c>stop</c>, <c>tool_calls</c>, <c>length</c>, <c>content_filter</c>), or null.</summary>
    public string? FinishReason { get; set; }

    /// <summary>
    /// Gets or sets the cost in USD from the price table (input tokens × input price + output tokens × output price,
    /// per million tokens), or null when the model has no price.
    /// </summary>
    public decimal? CostUsd { get; set; }

    /// <summary>Gets or sets when the step was committed (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
