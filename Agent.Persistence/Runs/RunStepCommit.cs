using Agent.Persistence.Checkpoints;
using Agent.Persistence.Threads;
using Agent.Persistence.Usage;

namespace Agent.Persistence.Runs;

/// <summary>
/// What one step writes, all in one fenced statement (<see cref="RunLifecycle.CommitStepAsync"/>): its checkpoint
/// (optional for status-only commits), its events, its model call (if any) and the run's counters. A commit never
/// extends the run's lease: the worker's heartbeat renews it, so the step's update of the run row is HOT-eligible.
/// </summary>
public sealed record RunStepCommit
{
    /// <summary>Gets the run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Gets the epoch the writer claimed; the write is refused when the run's epoch differs.</summary>
    public required long Epoch { get; init; }

    /// <summary>Gets the checkpoint to insert, or null.</summary>
    public Checkpoint? Checkpoint { get; init; }

    /// <summary>
    /// Gets the run's input checkpoint, inserted just before <see cref="Checkpoint"/> (which is its child), or null.
    /// LangGraph writes it before applying a run's input: <c>source: "input"</c>, <c>step: -1</c>,
    /// <c>next: ["__start__"]</c>, the thread's values before the input. It travels with the run's first step so it
    /// costs no commit of its own, and its id sorts before the step's (EF Core orders the inserts of one table by key).
    /// </summary>
    public Checkpoint? InputCheckpoint { get; init; }

    /// <summary>Gets the events to append, in order: pairs of kind and JSON data.</summary>
    public required IReadOnlyList<(string Kind, string Data)> Events { get; init; }

    /// <summary>Gets how many node steps this commit adds to <c>step_count</c> (0 or 1).</summary>
    public int StepsAdded { get; init; }

    /// <summary>Gets the input tokens to add.</summary>
    public long InputTokens { get; init; }

    /// <summary>Gets the output tokens to add.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Gets the cost in USD to add.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>
    /// Gets the model call this step made, recorded in <c>agent.model_calls</c> in the same transaction, or null.
    /// Its run, thread, assistant and creation time are taken from the commit and the run row, not from this object.
    /// </summary>
    public ModelCall? ModelCall { get; init; }

    /// <summary>Gets the terminal status this commit ends the run with, or null to keep it running.</summary>
    public AgentRunStatus? FinalStatus { get; init; }

    /// <summary>
    /// Gets when the run should be tried again, or null. When set (and <see cref="FinalStatus"/> is not), the commit
    /// parks the run: status <c>pending</c>, lease given up, <c>next_attempt_at</c> set, <c>retry_count + 1</c>, and
    /// <see cref="Error"/> recorded as the reason. The sweeper republishes the run when it is due.
    /// </summary>
    public DateTimeOffset? RetryAt { get; init; }

    /// <summary>
    /// Gets the error object (JSON text) recorded with an <c>error</c> or <c>timeout</c> status, or as the reason of a
    /// retry wait. An end or a retry wait replaces the run's error with it (null clears it).
    /// </summary>
    public string? Error { get; init; }

    /// <summary>Gets the thread status to set with the final status (<c>idle</c>, <c>error</c>, <c>interrupted</c>).</summary>
    public AgentThreadStatus? FinalThreadStatus { get; init; }

    /// <summary>
    /// Gets the interrupts the run pauses on (JSON array of <see cref="Checkpoints.PendingInterrupt"/>), written onto
    /// the checkpoint <see cref="PausedAt"/> of the run's thread; null when the run does not pause.
    /// </summary>
    public string? Interrupts { get; init; }

    /// <summary>Gets the checkpoint the run pauses at (its thread's head on the run's branch), with <see cref="Interrupts"/>.</summary>
    public Guid? PausedAt { get; init; }
}
