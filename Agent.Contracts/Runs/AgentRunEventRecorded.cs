namespace Agent.Contracts.Runs;

/// <summary>
/// Announces that a run event was committed to the run's event log, so API replicas can relay it to SSE clients live.
/// </summary>
/// <remarks>
/// Published after the step's transaction commits. Delivery to API replicas is best effort (each replica has a
/// temporary queue); the durable copy is the <c>run_events</c> row with the same <see cref="Sequence"/>, which the
/// relay reads to fill any gap.
/// </remarks>
public sealed record AgentRunEventRecorded
{
    /// <summary>Gets the identifier of the run the event belongs to.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Gets the identifier of the run's thread.</summary>
    public required Guid ThreadId { get; init; }

    /// <summary>Gets the event's sequence number within the run: 1, 2, 3 ... without gaps. It is the SSE <c>id:</c>.</summary>
    public required long Sequence { get; init; }

    /// <summary>Gets the event kind, e.g. <c>step</c> or <c>status</c> (see <c>RunEventKinds</c> in Agent.Persistence).</summary>
    public required string Kind { get; init; }

    /// <summary>Gets the event payload as a JSON document (the same text as the <c>run_events.data</c> column).</summary>
    public required string Data { get; init; }

    /// <summary>Gets a value indicating whether this event ends the run (a terminal status).</summary>
    public bool IsTerminal { get; init; }

    /// <summary>Gets the UTC instant at which the event was committed.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}
