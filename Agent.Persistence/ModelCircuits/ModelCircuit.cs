namespace Agent.Persistence.ModelCircuits;

/// <summary>
/// A model circuit opened by some worker (table <c>agent.model_circuits</c>): while <see cref="OpenUntil"/> is ahead
/// of the database clock, every worker treats the model as failing and calls the fallback model instead.
/// </summary>
/// <remarks>
/// One row per provider and model, written when a worker's own circuit breaker opens and removed when a probe call
/// closes it again. Rows are never tenant-owned: a provider outage is the same for every tenant.
/// </remarks>
public sealed class ModelCircuit
{
    /// <summary>Gets or sets the circuit's key: <c>{provider}:{model}</c>, e.g. <c>openai:gpt-4o-mini</c>.</summary>
    public required string Key { get; set; }

    /// <summary>Gets or sets when the circuit lets calls through again (UTC, database clock).</summary>
    public DateTimeOffset OpenUntil { get; set; }

    /// <summary>Gets or sets when it last opened (UTC, database clock).</summary>
    public DateTimeOffset OpenedAt { get; set; }

    /// <summary>Gets or sets the worker instance that last opened it.</summary>
    public required string OpenedBy { get; set; }

    /// <summary>Gets or sets the failure that opened it (at most 500 characters), or null.</summary>
    public string? Reason { get; set; }
}
