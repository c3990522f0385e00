using Agent.Persistence.RunEvents;
using Agent.Persistence.Threads;
using Agent.Persistence.Usage;
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

    /// <summary>
    /// Commits a step in one transaction, fenced on the epoch: the run's counters and event sequence, the checkpoint,
    /// the events and the model call.
    /// </summary>
    /// <param name="commit">What to write.</param>
    /// <param name="cancellationToken">Cancels the commit (nothing is written then).</param>
    /// <returns>The committed events and any pending cancel request, or null when the caller was fenced off.</returns>
    public virtual async Task<CommittedStep?> CommitStepAsync(RunStepCommit commit, CancellationToken cancellationToken)
    {
        try
        {
            return await CommitStepCoreAsync(commit, cancellationToken);
        }
        catch
        {
            // A failed commit (e.g. PostgreSQL restarting) must not leave its rows tracked: a retry would add them twice.
            context.ChangeTracker.Clear();
            throw;
        }
    }

    private async Task<CommittedStep?> CommitStepCoreAsync(RunStepCommit commit, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var expires = now + commit.LeaseDuration;
        var final = commit.FinalStatus;
        var ended = final is null ? (DateTimeOffset?)null : now;
        var retryAt = final is null ? commit.RetryAt : null;
        // A step keeps the run (and extends the lease); an end or a retry wait gives it up.
        var keepsLease = final is null && retryAt is null;
        var eventCount = commit.Events.Count;

        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        var rows = await context.Database.SqlQuery<FencedRow>($"""
            UPDATE agent.runs
               SET step_count = step_count + {commit.StepsAdded},
                   input_tokens = input_tokens + {commit.InputTokens},
                   output_tokens = output_tokens + {commit.OutputTokens},
                   cost_usd = cost_usd + {commit.CostUsd},
                   last_event_sequence = last_event_sequence + {eventCount},
                   lease_expires_at = CASE WHEN {keepsLease} THEN {expires} ELSE NULL END,
                   lease_owner = CASE WHEN {keepsLease} THEN lease_owner ELSE NULL END,
                   status = COALESCE({final}::text, CASE WHEN {retryAt}::timestamptz IS NULL THEN status ELSE 'pending' END),
                   next_attempt_at = {retryAt}::timestamptz,
                   retry_count = retry_count + CASE WHEN {retryAt}::timestamptz IS NULL THEN 0 ELSE 1 END,
                   error = CASE WHEN {keepsLease} THEN error ELSE {commit.Error}::jsonb END,
                   ended_at = COALESCE({ended}, ended_at),
                   updated_at = {now}
             WHERE run_id = {commit.RunId} AND lease_epoch = {commit.Epoch} AND status = 'running'
            RETURNING last_event_sequence AS "LastSequence", tenant_id AS "TenantId", thread_id AS "ThreadId",
                      cancel_action AS "CancelAction"
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
            // A retried commit reuses the entity: the identity value an earlier, rolled-back attempt read back must
            // not be sent (sequence is GENERATED ALWAYS).
            checkpoint.Sequence = default;
            checkpoint.CreatedAt = now;
            context.Checkpoints.Add(checkpoint);
        }

        context.RunEvents.AddRange(events);
        await context.SaveChangesAsync(cancellationToken);
        if (commit.ModelCall is { } call)
        {
            await InsertModelCallAsync(commit.RunId, call, now, cancellationToken);
        }

        if (commit.FinalThreadStatus is { } threadStatus)
        {
            var (tenantId, threadId) = (rows[0].TenantId, rows[0].ThreadId);
            // A queued run of the same thread keeps it busy.
            var busy = await context.Runs.AnyAsync(
                r => r.TenantId == tenantId && r.ThreadId == threadId && r.Status == AgentRunStatus.Pending, cancellationToken);
            await context.Threads.Where(t => t.TenantId == tenantId && t.ThreadId == threadId).ExecuteUpdateAsync(
                s => s.SetProperty(t => t.Status, busy ? AgentThreadStatus.Busy : threadStatus).SetProperty(t => t.UpdatedAt, now),
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        context.ChangeTracker.Clear();
        return new CommittedStep(events, rows[0].CancelAction);
    }

    /// <summary>
    /// Finds out whether a commit whose outcome is unknown (the connection broke while it was being committed) went
    /// through: it did when the run still has the caller's epoch and its event sequence moved past
    /// <paramref name="lastSequence"/>, since only the epoch's owner appends events.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The caller's epoch.</param>
    /// <param name="lastSequence">The run's last event sequence before the commit.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The committed events and any pending cancel request, or null when the commit did not happen.</returns>
    public async Task<CommittedStep?> FindCommittedAsync(Guid runId, long epoch, long lastSequence, CancellationToken cancellationToken)
    {
        var run = await context.Runs.AsNoTracking().Where(r => r.RunId == runId && r.LeaseEpoch == epoch)
            .Select(r => new { r.LastEventSequence, r.CancelAction }).FirstOrDefaultAsync(cancellationToken);
        if (run is null || run.LastEventSequence <= lastSequence)
        {
            return null;
        }

        var events = await context.RunEvents.AsNoTracking()
            .Where(e => e.RunId == runId && e.Sequence > lastSequence)
            .OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        return new CommittedStep(events, run.CancelAction);
    }

    /// <summary>
    /// Sweeps once, if no other worker is sweeping (a transaction-scoped advisory lock): selects the runs that need a
    /// <c>StartAgentRun</c> and hands them to <paramref name="dispatch"/>, recording <c>dispatched_at</c> in the same
    /// transaction, which commits only once <paramref name="dispatch"/> has returned. A failed dispatch rolls back,
    /// so the next sweep tries again. See <see cref="DueRun"/> for the rules.
    /// </summary>
    /// <param name="republishAfter">
    /// How long a dispatched run may stay unclaimed before it is sent again (a lost message), and how old a never
    /// dispatched pending run must be (the API's send may still be on its way).
    /// </param>
    /// <param name="limit">The most runs dispatched per sweep.</param>
    /// <param name="dispatch">Sends the messages; throwing rolls the sweep back.</param>
    /// <param name="cancellationToken">Cancels the sweep.</param>
    /// <returns>The runs dispatched, or null when another worker holds the sweeper lock.</returns>
    public async Task<IReadOnlyList<DueRun>?> SweepAsync(
        TimeSpan republishAfter, int limit, Func<IReadOnlyList<DueRun>, CancellationToken, Task> dispatch,
        CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var stale = now - republishAfter;
        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        var locked = await context.Database
            .SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({SweeperLockKey}) AS \"Value\"")
            .SingleAsync(cancellationToken);
        if (!locked)
        {
            return null;
        }

        // Three kinds of runs need a message: a pending run that is due (never picked up: a lost send, a dropped
        // message; or a retry wait that just ended) and is next in its thread (multitask enqueue); and a running run
        // whose lease expired (its worker died or hangs) and that was not dispatched since.
        var due = await context.Database.SqlQuery<DueRun>($"""
            UPDATE agent.runs r
               SET dispatched_at = {now}
              FROM (SELECT c.run_id,
                           CASE WHEN c.status = 'running' THEN 'lease-expired'
                                WHEN c.next_attempt_at IS NOT NULL THEN 'retry-due'
                                ELSE 'pending' END AS reason
                      FROM agent.runs c
                     WHERE (c.status = 'pending'
                            AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= {now})
                            AND (COALESCE(c.dispatched_at, c.created_at) < {stale}
                                 OR (c.next_attempt_at IS NOT NULL
                                     AND (c.dispatched_at IS NULL OR c.dispatched_at < c.next_attempt_at)))
                            AND NOT EXISTS (SELECT 1 FROM agent.runs o
                                             WHERE o.tenant_id = c.tenant_id AND o.thread_id = c.thread_id AND o.run_id <> c.run_id
                                               AND o.status IN ('pending', 'running') AND o.created_at < c.created_at))
                        OR (c.status = 'running' AND c.lease_expires_at < {now}
                            AND (c.dispatched_at IS NULL OR c.dispatched_at < c.lease_expires_at OR c.dispatched_at < {stale}))
                     ORDER BY c.created_at
                     LIMIT {limit}
                       FOR UPDATE SKIP LOCKED) d
             WHERE r.run_id = d.run_id
            RETURNING r.run_id AS "RunId", r.thread_id AS "ThreadId", d.reason AS "Reason",
                      r.lease_epoch AS "Epoch", r.retry_count AS "RetryCount"
            """).ToListAsync(cancellationToken);
        if (due.Count > 0)
        {
            await dispatch(due, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return due;
    }

    /// <summary>
    /// Records a model call. Thread and assistant are copied from the run row in the same statement (so usage groups by
    /// them without joins, and the caller cannot get them wrong).
    /// </summary>
    private Task<int> InsertModelCallAsync(Guid runId, ModelCall call, DateTimeOffset now, CancellationToken cancellationToken) =>
        context.Database.ExecuteSqlAsync($"""
            INSERT INTO agent.model_calls (model_call_id, run_id, step, thread_id, assistant_id, tenant_id, provider, model,
                                           input_tokens, output_tokens, cached_input_tokens, latency_ms, finish_reason,
                                           cost_usd, created_at)
            SELECT {Guid.CreateVersion7(now)}, r.run_id, {call.Step}, r.thread_id, r.assistant_id, r.tenant_id, {call.Provider},
                   {call.Model}, {call.InputTokens}, {call.OutputTokens}, {call.CachedInputTokens}::bigint,
                   {call.LatencyMs}, {call.FinishReason}::text, {call.CostUsd}::numeric, {now}
              FROM agent.runs r
             WHERE r.run_id = {runId}
            """, cancellationToken);

    /// <summary>Finds the oldest pending run of a thread, the next one to start under multitask <c>enqueue</c>.</summary>
    /// <param name="tenantId">The thread's tenant.</param>
    /// <param name="threadId">The thread.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The run id, or null when none is pending.</returns>
    public async Task<Guid?> FindNextPendingRunAsync(string tenantId, Guid threadId, CancellationToken cancellationToken)
    {
        return await context.Runs.AsNoTracking()
            .Where(r => r.TenantId == tenantId && r.ThreadId == threadId && r.Status == AgentRunStatus.Pending)
            .OrderBy(r => r.CreatedAt).Select(r => (Guid?)r.RunId).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>The advisory lock key of the sweeper, one per database: the bytes of "AGENTSWP".</summary>
    public const long SweeperLockKey = 0x4147454E54535750;

    private sealed record ClaimRow(long Epoch, int Attempt, string TenantId);

    private sealed record FencedRow(long LastSequence, string TenantId, Guid ThreadId, string? CancelAction);
}
