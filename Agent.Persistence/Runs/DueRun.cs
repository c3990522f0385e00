using Agent.Persistence.Identifiers;

namespace Agent.Persistence.Runs;

/// <summary>
/// A run the sweeper (re)dispatches, as <see cref="RunLifecycle.SweepAsync"/> selects it.
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="ThreadId">Its thread.</param>
/// <param name="Reason">
/// Why it needs a message: <c>pending</c> (due, next in its thread, and not dispatched for a while: the first send was
/// lost, or a handed-back run's message was), <c>retry-due</c> (its retry wait just ended) or <c>lease-expired</c>
/// (running, but its worker stopped renewing the lease: it died or hangs), or <c>delayed</c> (its <c>after_seconds</c>
/// are over: <see cref="RunLifecycle.ReleaseDelayedAsync"/>).
/// </param>
/// <param name="Epoch">The run's lease epoch when swept.</param>
/// <param name="RetryCount">The run's retry count when swept.</param>
/// <param name="Queue">The run's queue (<see cref="AgentRun.Queue"/>), or null for the default one.</param>
public sealed record DueRun(Guid RunId, Guid ThreadId, string Reason, long Epoch, int RetryCount, string? Queue)
{
    /// <summary>
    /// Gets a deterministic message id for the dispatch: the same run in the same state (reason, epoch, retry count)
    /// always gets the same id, so a consumer or the broker's tooling can tell repeats of one dispatch apart from a
    /// new one. A name-based UUID (RFC 9562 version 5, SHA-1) of <c>run_id:reason:epoch:retry_count</c>.
    /// </summary>
    public Guid MessageId => DeterministicGuid.Create($"{RunId}:{Reason}:{Epoch}:{RetryCount}");
}
