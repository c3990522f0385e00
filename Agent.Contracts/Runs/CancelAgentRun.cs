namespace Agent.Contracts.Runs;

/// <summary>
/// Asks the worker that owns a running run to stop it at its next await; fanned out to every worker.
/// </summary>
public sealed record CancelAgentRun
{
    /// <summary>Gets the identifier of the run to cancel.</summary>
    public required Guid RunId { get; init; }

    /// <summary>
    /// Gets the LangGraph cancel action: <c>interrupt</c> keeps the completed steps and ends the run
    /// <c>interrupted</c>; <c>rollback</c> deletes the run and its checkpoints. Default is <c>interrupt</c>.
    /// </summary>
    public string Action { get; init; } = "interrupt";

    /// <summary>Gets the UTC instant at which the cancellation was requested.</summary>
    public required DateTimeOffset RequestedAt { get; init; }
}
