using Agent.Persistence.Checkpoints;
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
public partial class RunLifecycle(AgentDbContext context, TimeProvider timeProvider)
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
                   next_attempt_at = NULL,
                   updated_at = {now}
             WHERE r.run_id = {runId}
               AND r.status IN ('pending', 'running')
               AND (r.lease_owner IS NULL OR r.lease_expires_at < {now} OR r.lease_owner = {owner} OR {takeOver})
               AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= {now})
               AND (r.start_after IS NULL OR r.start_after <= {now})
               AND NOT EXISTS (SELECT 1 FROM agent.runs o
                                WHERE o.tenant_id = r.tenant_id AND o.thread_id = r.thread_id AND o.run_id <> r.run_id
                                  AND o.status IN ('pending', 'running') AND o.created_at < r.created_at)
            RETURNING r.lease_epoch AS "Epoch", r.attempt AS "Attempt", r.tenant_id AS "TenantId"
            """).ToListAsync(cancellationToken);
        if (claimed.Count == 1)
        {
            return new RunClaim(RunClaimOutcome.Claimed, claimed[0].Epoch, claimed[0].Attempt, claimed[0].TenantId);
        }

        var run = await context.Runs.AsNoTracking().Where(r => r.RunId == runId)
            .Select(r => new { r.Status, r.TenantId, r.ThreadId, r.CreatedAt, r.NextAttemptAt, r.StartAfter }).FirstOrDefaultAsync(cancellationToken);
        if (run is null)
        {
            return new RunClaim(RunClaimOutcome.NotFound);
        }

        if (AgentRunStatus.IsTerminal(run.Status))
        {
            return new RunClaim(RunClaimOutcome.AlreadyEnded);
        }

        if (run.NextAttemptAt > now || run.StartAfter > now)
        {
            return new RunClaim(RunClaimOutcome.NotDue);
        }

        var blocked = await context.Runs.AnyAsync(
            o => o.TenantId == run.TenantId && o.ThreadId == run.ThreadId && o.RunId != runId && o.CreatedAt < run.CreatedAt
                 && (o.Status == AgentRunStatus.Pending || o.Status == AgentRunStatus.Running),
            cancellationToken);
        return new RunClaim(blocked ? RunClaimOutcome.WaitingForThread : RunClaimOutcome.LeasedElsewhere);
    }

    /// <summary>
    /// Loads what a claimed run resumes from: its row, its assistant's config and graph id, and its thread's checkpoints
    /// in fold order (sequence), those of subgraphs (<see cref="Checkpoint.CheckpointNs"/> not empty) included.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="tenantId">Its tenant.</param>
    /// <param name="threadId">Its thread.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The run, the assistant's config (JSON text), its graph id and the checkpoints.</returns>
    public async Task<(AgentRun Run, string AssistantConfig, string GraphId, List<Checkpoint> Checkpoints)> LoadAsync(
        Guid runId, string tenantId, Guid threadId, CancellationToken cancellationToken)
    {
        var run = await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == runId, cancellationToken);
        var assistant = await context.Assistants.AsNoTracking().Where(a => a.AssistantId == run.AssistantId)
            .Select(a => new { a.Config, a.GraphId }).SingleAsync(cancellationToken);
        var checkpoints = await context.Checkpoints.IgnoreQueryFilters().AsNoTracking().Where(c => c.TenantId == tenantId && c.ThreadId == threadId)
            .OrderBy(c => c.Sequence).ToListAsync(cancellationToken);
        return (run, assistant.Config, assistant.GraphId, checkpoints);
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

    /// <summary>
    /// Gives the lease up and puts the run back to <c>pending</c>, so another worker can claim it at once (graceful
    /// shutdown). Records <c>dispatched_at</c>: the caller sends <c>StartAgentRun</c> itself, and the sweeper sends it
    /// again only if that message is lost.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The caller's epoch.</param>
    /// <param name="cancellationToken">Cancels the release.</param>
    /// <returns><see langword="true"/> when released; <see langword="false"/> when the lease was no longer the caller's.</returns>
    public async Task<bool> ReleaseLeaseAsync(Guid runId, long epoch, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var rows = await context.Runs
            .Where(r => r.RunId == runId && r.LeaseEpoch == epoch && r.Status == AgentRunStatus.Running)
            .ExecuteUpdateAsync(
                s => s.SetProperty(r => r.LeaseOwner, (string?)null)
                    .SetProperty(r => r.LeaseExpiresAt, (DateTimeOffset?)null)
                    .SetProperty(r => r.Status, AgentRunStatus.Pending)
                    .SetProperty(r => r.DispatchedAt, now)
                    .SetProperty(r => r.UpdatedAt, now),
                cancellationToken);
        return rows == 1;
    }

    /// <summary>The advisory lock key of the sweeper, one per database: the bytes of "AGENTSWP".</summary>
    public const long SweeperLockKey = 0x4147454E54535750;

    private sealed record ClaimRow(long Epoch, int Attempt, string TenantId);
}
