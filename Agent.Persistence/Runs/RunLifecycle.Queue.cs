using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Runs;

/// <summary>Finds the runs that need a <c>StartAgentRun</c>: swept, released from a delay, or next in their thread.</summary>
public partial class RunLifecycle
{
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
                      r.lease_epoch AS "Epoch", r.retry_count AS "RetryCount", r.queue AS "Queue"
            """).ToListAsync(cancellationToken);
        if (due.Count > 0)
        {
            await dispatch(due, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return due;
    }

    /// <summary>Finds the oldest pending run of a thread, the next one to start under multitask <c>enqueue</c>.</summary>
    /// <param name="tenantId">The thread's tenant.</param>
    /// <param name="threadId">The thread.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The run's id and queue (<see cref="AgentRun.Queue"/>), or null when none is pending.</returns>
    public async Task<(Guid RunId, string? Queue)?> FindNextPendingRunAsync(string tenantId, Guid threadId, CancellationToken cancellationToken)
    {
        var next = await context.Runs.AsNoTracking()
            .Where(r => r.TenantId == tenantId && r.ThreadId == threadId && r.Status == AgentRunStatus.Pending)
            .OrderBy(r => r.CreatedAt).Select(r => new { r.RunId, r.Queue }).FirstOrDefaultAsync(cancellationToken);
        return next is null ? null : (next.RunId, next.Queue);
    }

    /// <summary>
    /// Releases delayed runs (<c>after_seconds</c>) that fell due, oldest due first: clears <c>start_after</c> with one
    /// conditional <c>UPDATE ... FOR UPDATE SKIP LOCKED</c>, so each due run is released by exactly one worker, which
    /// then sends its <c>StartAgentRun</c> (the sweeper sends it if that send is lost).
    /// </summary>
    /// <param name="max">The most runs released by one call.</param>
    /// <param name="cancellationToken">Cancels the release.</param>
    /// <returns>The released runs (reason <c>delayed</c>).</returns>
    public async Task<IReadOnlyList<DueRun>> ReleaseDelayedAsync(int max, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        return await context.Database.SqlQuery<DueRun>($"""
            UPDATE agent.runs r SET start_after = NULL, updated_at = {now}
             WHERE r.run_id IN (SELECT d.run_id FROM agent.runs d
                                 WHERE d.status = 'pending' AND d.start_after <= {now}
                                 ORDER BY d.start_after LIMIT {max} FOR UPDATE SKIP LOCKED)
            RETURNING r.run_id AS "RunId", r.thread_id AS "ThreadId", 'delayed' AS "Reason",
                      r.lease_epoch AS "Epoch", r.retry_count AS "RetryCount", r.queue AS "Queue"
            """).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Deletes the threads (with their runs) of stateless runs with <c>on_completion=delete</c> that ended before
    /// <paramref name="retention"/> ago (joins and webhooks read them first).
    /// </summary>
    /// <param name="retention">How long a finished run's thread is kept.</param>
    /// <param name="max">The most threads deleted per call.</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    /// <returns>A task that completes when they are deleted.</returns>
    public async Task DeleteEndedStatelessThreadsAsync(TimeSpan retention, int max, CancellationToken cancellationToken)
    {
        var cutoff = timeProvider.GetUtcNow() - retention;
        var finished = await context.Runs.AsNoTracking()
            .Where(r => r.DeleteThreadOnCompletion && r.EndedAt != null && r.EndedAt < cutoff)
            .OrderBy(r => r.EndedAt) // the oldest first, so a backlog drains in order
            .Select(r => new { r.TenantId, r.ThreadId })
            .Take(max).ToListAsync(cancellationToken);
        foreach (var thread in finished.Distinct())
        {
            // Runs first, then the thread: the lock order of a worker's step commit.
            await context.Runs.Where(r => r.TenantId == thread.TenantId && r.ThreadId == thread.ThreadId).ExecuteDeleteAsync(cancellationToken);
            await context.Threads.Where(t => t.TenantId == thread.TenantId && t.ThreadId == thread.ThreadId).ExecuteDeleteAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Deletes threads whose ttl has passed (<see cref="Threads.AgentThread.TtlMinutes"/>: idle since
    /// <c>updated_at</c> + ttl, with no run pending or running), with their runs and checkpoints, oldest first.
    /// </summary>
    /// <param name="max">The most threads deleted per call.</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    /// <returns>How many threads were deleted.</returns>
    public async Task<int> DeleteExpiredThreadsAsync(int max, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var expired = await context.Threads.AsNoTracking()
            .Where(t => t.TtlMinutes != null && t.UpdatedAt.AddMinutes(t.TtlMinutes.Value) < now
                        && !context.Runs.Any(r => r.TenantId == t.TenantId && r.ThreadId == t.ThreadId
                                                  && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running)))
            .OrderBy(t => t.UpdatedAt)
            .Select(t => new { t.TenantId, t.ThreadId })
            .Take(max).ToListAsync(cancellationToken);
        foreach (var thread in expired)
        {
            // Runs first, then the thread (its checkpoints cascade): the lock order of a worker's step commit. A run
            // accepted meanwhile keeps the thread: it is busy again.
            await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
            var stillIdle = await context.Threads
                .FromSql($"SELECT * FROM agent.threads WHERE tenant_id = {thread.TenantId} AND thread_id = {thread.ThreadId} FOR UPDATE")
                .AsNoTracking().AnyAsync(cancellationToken)
                && !await context.Runs.AnyAsync(
                    r => r.TenantId == thread.TenantId && r.ThreadId == thread.ThreadId
                         && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running), cancellationToken);
            if (stillIdle)
            {
                await context.Runs.Where(r => r.TenantId == thread.TenantId && r.ThreadId == thread.ThreadId).ExecuteDeleteAsync(cancellationToken);
                await context.Threads.Where(t => t.TenantId == thread.TenantId && t.ThreadId == thread.ThreadId).ExecuteDeleteAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }

        return expired.Count;
    }
}
