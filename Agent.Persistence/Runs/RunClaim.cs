namespace Agent.Persistence.Runs;

/// <summary>
/// The outcome of trying to claim a run's lease.
/// </summary>
public enum RunClaimOutcome
{
    /// <summary>The caller now owns the run with a new epoch.</summary>
    Claimed,

    /// <summary>No such run (deleted, or rolled back).</summary>
    NotFound,

    /// <summary>The run has already ended.</summary>
    AlreadyEnded,

    /// <summary>Another worker holds a live lease: this delivery is a duplicate.</summary>
    LeasedElsewhere,

    /// <summary>An earlier run of the same thread is still pending or running (multitask <c>enqueue</c>).</summary>
    WaitingForThread,

    /// <summary>
    /// The run may not start yet: it waits out a transient failure until its <c>next_attempt_at</c> (the sweeper sends
    /// it when due), or its <c>after_seconds</c> delay (the scheduler sends it when due).
    /// </summary>
    NotDue,
}

/// <summary>
/// The result of <see cref="RunLifecycle.ClaimAsync"/>.
/// </summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Epoch">The new fencing epoch when <see cref="RunClaimOutcome.Claimed"/>, else 0.</param>
/// <param name="Attempt">The attempt number when claimed (1 for the first claim).</param>
/// <param name="TenantId">The run's tenant when claimed, else empty: the checkpoints the run writes belong to it.</param>
public sealed record RunClaim(RunClaimOutcome Outcome, long Epoch = 0, int Attempt = 0, string TenantId = "");
