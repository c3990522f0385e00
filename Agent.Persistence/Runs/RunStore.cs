using Agent.Persistence.RunEvents;
using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Runs;

/// <summary>
/// Owns the SQL that keeps a run safe: claiming and renewing its lease, and committing steps fenced by the lease
/// epoch so two workers can never both commit steps of one run.
/// </summary>
/// <remarks>
/// Fencing follows ARCHITECTURE.md ("The run, step by step") and reference/durable-execution.md section C: every
/// claim increments <c>lease_epoch</c>, and every write is guarded by <c>WHERE lease_epoch = mine</c>; zero rows
/// means another worker owns the run and the caller must stop at once.
/// Not sealed, and <see cref="CommitStepAsync"/> is virtual, for one reason: the benchmark (Agent.Tests/Benchmarks)
/// times the step commit and runs the same loop with persistence turned off. Nothing in production derives from it.
/// </remarks>
/// <param name="context">The database context (scoped).</param>
/// <param name="timeProvider">The clock.</param>
public class RunStore(AgentDbContext context, TimeProvider timeProvider)
{
    /// <summary>
    /// Claims a run for <paramref name="owner"/>: <c>lease_epoch + 1</c>, status <c>running</c>, lease until now +
    /// <paramref name="leaseDuration"/>.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="owner">The worker instance id.</param>
    /// <param name="leaseDuration">How long the lease lasts unless renewed.</param>
    /// <param name="takeOver">
    /// Whether a live lease held by another owner may be taken over: true for a broker redelivery (the previous
    /// consumer's channel died), false for a fresh delivery (then a live lease means a duplicate).
    /// </param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>The claim.</returns>
    public async Task<RunClaim> ClaimAsync(
        Guid runId, string owner, TimeSpan leaseDuration, bool takeOver, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var expires = now + leaseDuration;
        // One statement: the row lock taken by UPDATE serialises concurrent claims of the same run. A run may only
        // start when no older run of its thread is unfinished (multitask "enqueue": FIFO, one at a time).
        var claimed = await context.Database.SqlQuery<ClaimRow>($"""
            UPDATE agent.runs r
               SET lease_epoch = r.lease_epoch + 1, lease_owner = {owner}, lease_expires_at = {expires},
                   status = 'running', attempt = r.attempt + 1, started_at = COALESCE(r.started_at, {now}),
                   updated_at = {now}
             WHERE r.run_id = {runId}
               AND r.status IN ('pending', 'running')
               AND (r.lease_owner IS NULL OR r.lease_expires_at < {now} OR r.lease_owner = {owner} OR {takeOver})
               AND NOT EXISTS (SELECT 1 FROM agent.runs o
                                WHERE o.thread_id = r.thread_id AND o.run_id <> r.run_id
                                  AND o.status IN ('pending', 'running') AND o.created_at < r.created_at)
            RETURNING r.lease_epoch AS "Epoch", r.attempt AS "Attempt"
            """).ToListAsync(cancellationToken);
        if (claimed.Count == 1)
        {
            return new RunClaim(RunClaimOutcome.Claimed, claimed[0].Epoch, claimed[0].Attempt);
        }

        var run = await context.Runs.AsNoTracking().Where(r => r.RunId == runId)
            .Select(r => new { r.Status, r.ThreadId, r.CreatedAt }).FirstOrDefaultAsync(cancellationToken);
        if (run is null)
        {
            return new RunClaim(RunClaimOutcome.NotFound);
        }

        if (AgentRunStatus.IsTerminal(run.Status))
        {
            return new RunClaim(RunClaimOutcome.AlreadyEnded);
        }

        var blocked = await context.Runs.AnyAsync(
            o => o.ThreadId == run.ThreadId && o.RunId != runId && o.CreatedAt < run.CreatedAt
                 && (o.Status == AgentRunStatus.Pending || o.Status == AgentRunStatus.Running),
            cancellationToken);
        return new RunClaim(blocked ? RunClaimOutcome.WaitingForThread : RunClaimOutcome.LeasedElsewhere);
    }

    /// <summary>Extends the lease if the caller still owns the run.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The caller's epoch.</param>
    /// <param name="leaseDuration">The new lease length from now.</param>
    /// <param name="cancellationToken">Cancels the renewal.</param>
    /// <returns><see langword="false"/> when the caller has been fenced off (or the run ended or vanished).</returns>
    public async Task<bool> RenewLeaseAsync(Guid runId, long epoch, TimeSpan leaseDuration, CancellationToken cancellationToken)
    {
        var expires = timeProvider.GetUtcNow() + leaseDuration;
        var rows = await context.Runs
            .Where(r => r.RunId == runId && r.LeaseEpoch == epoch && r.Status == AgentRunStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseExpiresAt, expires), cancellationToken);
        return rows == 1;
    }

    /// <summary>Gives the lease up so another worker can resume the run at once (graceful shutdown).</summary>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The caller's epoch.</param>
    /// <param name="cancellationToken">Cancels the release.</param>
    /// <returns>A task that completes when the lease is released (or was not ours).</returns>
    public async Task ReleaseLeaseAsync(Guid runId, long epoch, CancellationToken cancellationToken)
    {
        await context.Runs
            .Where(r => r.RunId == runId && r.LeaseEpoch == epoch && r.Status == AgentRunStatus.Running)
            .ExecuteUpdateAsync(
                s => s.SetProperty(r => r.LeaseOwner, (string?)null).SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null),
                cancellationToken);
    }

    /// <summary>
    /// Commits a step in one transaction, fenced on the epoch: the run's counters and event sequence, the checkpoint
    /// and the events.
    /// </summary>
    /// <param name="commit">What to write.</param>
    /// <param name="cancellationToken">Cancels the commit (nothing is written then).</param>
    /// <returns>The committed events and any pending cancel request, or null when the caller was fenced off.</returns>
    public virtual async Task<CommittedStep?> CommitStepAsync(RunStepCommit commit, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var expires = now + commit.LeaseDuration;
        var final = commit.FinalStatus;
        var ended = final is null ? (DateTimeOffset?)null : now;
        var eventCount = commit.Events.Count;

        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        var rows = await context.Database.SqlQuery<FencedRow>($"""
            UPDATE agent.runs
               SET step_count = step_count + {commit.StepsAdded},
                   input_tokens = input_tokens + {commit.InputTokens},
                   output_tokens = output_tokens + {commit.OutputTokens},
                   cost_usd = cost_usd + {commit.CostUsd},
                   last_event_sequence = last_event_sequence + {eventCount},
                   lease_expires_at = CASE WHEN {final}::text IS NULL THEN {expires} ELSE NULL END,
                   lease_owner = CASE WHEN {final}::text IS NULL THEN lease_owner ELSE NULL END,
                   status = COALESCE({final}::text, status),
                   error = COALESCE({commit.Error}::jsonb, error),
                   ended_at = COALESCE({ended}, ended_at),
                   updated_at = {now}
             WHERE run_id = {commit.RunId} AND lease_epoch = {commit.Epoch} AND status = 'running'
            RETURNING last_event_sequence AS "LastSequence", thread_id AS "ThreadId", cancel_action AS "CancelAction"
            """).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }

        var first = rows[0].LastSequence - eventCount + 1;
        var events = commit.Events
            .Select((e, i) => new RunEvent { RunId = commit.RunId, Sequence = first + i, Kind = e.Kind, Data = e.Data, CreatedAt = now })
            .ToList();
        if (commit.Checkpoint is { } checkpoint)
        {
            checkpoint.CreatedAt = now;
            context.Checkpoints.Add(checkpoint);
        }

        context.RunEvents.AddRange(events);
        await context.SaveChangesAsync(cancellationToken);

        if (commit.FinalThreadStatus is { } threadStatus)
        {
            var threadId = rows[0].ThreadId;
            // A queued run of the same thread keeps it busy.
            var busy = await context.Runs.AnyAsync(
                r => r.ThreadId == threadId && r.Status == AgentRunStatus.Pending, cancellationToken);
            await context.Threads.Where(t => t.ThreadId == threadId).ExecuteUpdateAsync(
                s => s.SetProperty(t => t.Status, busy ? AgentThreadStatus.Busy : threadStatus).SetProperty(t => t.UpdatedAt, now),
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        context.ChangeTracker.Clear();
        return new CommittedStep(events, rows[0].CancelAction);
    }

    /// <summary>Finds the oldest pending run of a thread, the next one to start under multitask <c>enqueue</c>.</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The run id, or null when none is pending.</returns>
    public async Task<Guid?> FindNextPendingRunAsync(Guid threadId, CancellationToken cancellationToken)
    {
        return await context.Runs.AsNoTracking()
            .Where(r => r.ThreadId == threadId && r.Status == AgentRunStatus.Pending)
            .OrderBy(r => r.CreatedAt).Select(r => (Guid?)r.RunId).FirstOrDefaultAsync(cancellationToken);
    }

    private sealed record ClaimRow(long Epoch, int Attempt);

    private sealed record FencedRow(long LastSequence, Guid ThreadId, string? CancelAction);
}
