using Agent.Persistence.Threads;
using Agent.Persistence.Wire;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Runs;

/// <summary>How <see cref="RunLifecycle.CancelAsync"/> answered.</summary>
public enum RunCancelOutcome
{
    /// <summary>The run was pending: it ended <c>interrupted</c> (or was deleted, for rollback) and never starts.</summary>
    Ended,

    /// <summary>
    /// The run is running: its cancel action is recorded and its worker stops at its next commit; a
    /// <c>CancelAgentRun</c> fan-out makes it stop at its next await.
    /// </summary>
    Requested,

    /// <summary>The run had already ended (or is gone): nothing to do.</summary>
    AlreadyEnded,
}

/// <summary>Cancels runs: pending ones at once, running ones through their worker; rolls a run back.</summary>
public partial class RunLifecycle
{
    /// <summary>Cancels a run with <paramref name="action"/>.</summary>
    /// <param name="run">The run (its id, thread and tenant are read).</param>
    /// <param name="action">Whether completed steps are kept (<see cref="CancelAction.Interrupt"/>) or the run is deleted.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Whether the run ended here or its worker was asked to stop.</returns>
    public async Task<RunCancelOutcome> CancelAsync(AgentRun run, CancelAction action, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var pending = context.Runs.Where(r => r.TenantId == run.TenantId && r.RunId == run.RunId && r.Status == AgentRunStatus.Pending);
        var pendingHandled = action == CancelAction.Rollback
            ? await pending.ExecuteDeleteAsync(cancellationToken)
            : await pending.ExecuteUpdateAsync(
                s => s.SetProperty(r => r.Status, RunStateMachine.To(RunStateMachine.CancelPending))
                    .SetProperty(r => r.EndedAt, now).SetProperty(r => r.UpdatedAt, now),
                cancellationToken);
        if (pendingHandled == 1)
        {
            var busy = await context.Runs.AnyAsync(
                r => r.TenantId == run.TenantId && r.ThreadId == run.ThreadId
                     && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running),
                cancellationToken);
            if (!busy)
            {
                await context.Threads.Where(t => t.TenantId == run.TenantId && t.ThreadId == run.ThreadId)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, AgentThreadStatus.Idle), cancellationToken);
            }

            return RunCancelOutcome.Ended;
        }

        var wireAction = WireName.Of(action);
        var requested = await context.Runs
            .Where(r => r.TenantId == run.TenantId && r.RunId == run.RunId && r.Status == AgentRunStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelAction, wireAction), cancellationToken);
        return requested == 1 ? RunCancelOutcome.Requested : RunCancelOutcome.AlreadyEnded;
    }

    /// <summary>
    /// Rolls a running run back (its worker, after a <c>rollback</c> cancel): the run, its checkpoints and its events
    /// (cascade) go, as if it never happened. Fenced by the epoch, in one transaction.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The caller's epoch.</param>
    /// <param name="cancellationToken">Cancels the rollback (nothing is deleted then).</param>
    /// <returns><see langword="true"/> when deleted; <see langword="false"/> when the caller was fenced off.</returns>
    public async Task<bool> RollBackAsync(Guid runId, long epoch, CancellationToken cancellationToken)
    {
        // Checkpoints first: deleting the run would only unlink them (run_id set null).
        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        await context.Checkpoints.IgnoreQueryFilters()
            .Where(c => c.RunId == runId && context.Runs.Any(r => r.RunId == runId && r.LeaseEpoch == epoch))
            .ExecuteDeleteAsync(cancellationToken);
        var deleted = await context.Runs.Where(r => r.RunId == runId && r.LeaseEpoch == epoch).ExecuteDeleteAsync(cancellationToken);
        if (deleted == 1)
        {
            await transaction.CommitAsync(cancellationToken);
            return true;
        }

        await transaction.RollbackAsync(cancellationToken);
        return false;
    }
}
