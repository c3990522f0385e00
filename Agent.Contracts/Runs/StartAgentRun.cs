namespace Agent.Contracts.Runs;

/// <summary>
/// Requests that a worker execute (or resume) a run the API has already committed to PostgreSQL.
/// </summary>
/// <remarks>
/// The runs table is the outbox: the row exists before this message is published, so a lost publish delays a
/// run but never loses it. The message carries only identifiers; the worker reads everything else from the row.
/// </remarks>
public sealed record StartAgentRun
{
    /// <summary>Gets the identifier of the persisted run; also the message's correlation id.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Gets the identifier of the thread the run belongs to.</summary>
    public required Guid ThreadId { get; init; }

    /// <summary>
    /// Gets the run queue the message was sent to (<see cref="RunQueueName"/>), or null for the default one; a worker
    /// that hands the run back sends it to the same queue.
    /// </summary>
    public string? Queue { get; init; }

    /// <summary>Gets the UTC instant at which the run was requested or republished.</summary>
    public required DateTimeOffset RequestedAt { get; init; }
}
