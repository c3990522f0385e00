namespace Agent.Persistence.RunEvents;

/// <summary>
/// Represents one entry of a run's append-only event log (table <c>agent.run_events</c>); the source of SSE replay
/// and the audit trail.
/// </summary>
public sealed class RunEvent
{
    /// <summary>Gets or sets the run id.</summary>
    public Guid RunId { get; set; }

    /// <summary>Gets or sets the sequence number within the run: 1, 2, 3 ... without gaps; the SSE <c>id:</c>.</summary>
    public long Sequence { get; set; }

    /// <summary>Gets or sets the event kind; see <see cref="RunEventKinds"/>.</summary>
    public required string Kind { get; set; }

    /// <summary>Gets or sets the payload as JSON text (jsonb).</summary>
    public string Data { get; set; } = "{}";

    /// <summary>Gets or sets the commit time (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
