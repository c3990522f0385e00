using System.Text.Json.Nodes;

namespace Agent.Persistence.Runs;

/// <summary>
/// A run to accept (<see cref="RunLifecycle.AcceptAsync"/>): what the API parsed from a run request, or what a cron
/// tick holds. The lifecycle applies the tenant's limit, the budget pre-check and the multitask strategy to it.
/// </summary>
public sealed record RunAcceptance
{
    /// <summary>
    /// Gets the tenant the run belongs to: a cron's own for a cron tick; null for the tenant the lifecycle's context is
    /// scoped to (the API caller's). Default is null.
    /// </summary>
    public string? TenantId { get; init; }

    /// <summary>Gets the thread, or null for a stateless run (a new thread is created).</summary>
    public Guid? ThreadId { get; init; }

    /// <summary>Gets whether a missing <see cref="ThreadId"/> is created (<c>if_not_exists=create</c>) instead of refused.</summary>
    public bool CreateThreadIfMissing { get; init; }

    /// <summary>Gets the assistant (a system assistant's id for a graph name).</summary>
    public required Guid AssistantId { get; init; }

    /// <summary>Gets the checkpoint the run starts from (<c>checkpoint_id</c>), or null for the thread's head.</summary>
    public Guid? CheckpointId { get; init; }

    /// <summary>Gets the run's keyword arguments (<c>input</c>, <c>config</c>, ...), stored as <c>runs.kwargs</c>.</summary>
    public required JsonObject Kwargs { get; init; }

    /// <summary>Gets the run's metadata (a JSON object's text). Default is <c>{}</c>.</summary>
    public string Metadata { get; init; } = "{}";

    /// <summary>Gets the multitask strategy. Default is <see cref="MultitaskStrategy.Enqueue"/>.</summary>
    public MultitaskStrategy MultitaskStrategy { get; init; } = MultitaskStrategy.Enqueue;

    /// <summary>Gets the step limit the request asked for (LangGraph <c>recursion_limit</c>). Default is 25.</summary>
    public int RecursionLimit { get; init; } = 25;

    /// <summary>Gets whether the request set the recursion limit; when not, the assistant's config sets it.</summary>
    public bool RecursionLimitGiven { get; init; }

    /// <summary>Gets whether the run's thread is deleted once the run has ended (stateless <c>on_completion=delete</c>).</summary>
    public bool DeleteThreadOnCompletion { get; init; }

    /// <summary>Gets the client's <c>Idempotency-Key</c>, or null.</summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Gets how long the run waits before it may start (<c>after_seconds</c>), or null.</summary>
    public TimeSpan? StartDelay { get; init; }

    /// <summary>Gets extra keys stamped on the thread's metadata beside <c>graph_id</c> and <c>assistant_id</c> (a cron's <c>cron_id</c>).</summary>
    public IReadOnlyDictionary<string, string>? ThreadStamps { get; init; }

    /// <summary>
    /// Gets how many runs the tenant may have pending or running at once (<c>Limits:MaxConcurrentRunsPerTenant</c>);
    /// 0 turns the limit off. Default is 0.
    /// </summary>
    public int MaxConcurrentRuns { get; init; }

    /// <summary>Gets how the run's strategy cancels the thread's unfinished runs: null for reject and enqueue.</summary>
    public CancelAction? CancelsWith => MultitaskStrategy switch
    {
        MultitaskStrategy.Interrupt => CancelAction.Interrupt,
        MultitaskStrategy.Rollback => CancelAction.Rollback,
        _ => null,
    };
}

/// <summary>How <see cref="RunLifecycle.AcceptAsync"/> answered.</summary>
public enum RunAcceptanceOutcome
{
    /// <summary>The run was created <c>pending</c>; send its <c>StartAgentRun</c> unless it is delayed.</summary>
    Accepted,

    /// <summary>The <c>Idempotency-Key</c> was used before: the earlier run is returned and nothing is created.</summary>
    Replayed,

    /// <summary>The key was used before for a run on another thread (409).</summary>
    IdempotencyKeyConflict,

    /// <summary>The assistant does not exist (404).</summary>
    AssistantNotFound,

    /// <summary>The run's budget is invalid or raises its assistant's (422).</summary>
    InvalidBudget,

    /// <summary>The tenant has <see cref="RunAcceptance.MaxConcurrentRuns"/> runs unfinished (429).</summary>
    TooManyRuns,

    /// <summary>The thread does not exist (404).</summary>
    ThreadNotFound,

    /// <summary>The checkpoint is not on the thread (404).</summary>
    CheckpointNotFound,

    /// <summary>The thread has an unfinished run and the strategy is <see cref="MultitaskStrategy.Reject"/> (409).</summary>
    ThreadBusy,
}

/// <summary>What <see cref="RunLifecycle.AcceptAsync"/> decided.</summary>
/// <param name="Outcome">The decision.</param>
/// <param name="Run">The run (created or replayed), or null when refused.</param>
/// <param name="Detail">Why it was refused (a budget error, the tenant's count), or null.</param>
/// <param name="CancelRequested">
/// The runs the new run's <c>interrupt</c>/<c>rollback</c> asked to stop while they were running: their workers stop at
/// their next commit; a <c>CancelAgentRun</c> fan-out with <paramref name="CancelAction"/> makes it sooner.
/// </param>
/// <param name="CancelAction">The action of <paramref name="CancelRequested"/>, or null.</param>
public sealed record RunAccepted(
    RunAcceptanceOutcome Outcome,
    AgentRun? Run = null,
    string? Detail = null,
    IReadOnlyList<AgentRun>? CancelRequested = null,
    CancelAction? CancelAction = null);
