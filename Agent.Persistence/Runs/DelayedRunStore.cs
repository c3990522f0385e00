using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Runs;

/// <summary>
/// Releases delayed runs (<c>after_seconds</c>) when they fall due: clears <see cref="AgentRun.StartAfter"/> with one
/// conditional <c>UPDATE ... FOR UPDATE SKIP LOCKED</c>, so each due run is released by exactly one worker replica,
/// which then sends its <c>StartAgentRun</c>.
/// </summary>
/// <param name="context">The database context (unscoped: the worker's).</param>
/// <param name="timeProvider">The clock.</param>
public sealed class DelayedRunStore(AgentDbContext context, TimeProvider timeProvider)
{
    /// <summary>Releases up to <paramref name="max"/> due runs, oldest due first.</summary>
    /// <param name="max">The most runs released by one call.</param>
    /// <param name="cancellationToken">Cancels the release.</param>
    /// <returns>The released runs' ids and threads; the caller sends them to the run queue.</returns>
    public async Task<IReadOnlyList<DueRun>> ReleaseDueAsync(int max, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        return await context.Database.SqlQuery<DueRun>($"""
            UPDATE agent.runs r SET start_after = NULL, updated_at = {now}
             WHERE r.run_id IN (SELECT d.run_id FROM agent.runs d
                                 WHERE d.status = 'pending' AND d.start_after <= {now}
                                 ORDER BY d.start_after LIMIT {max} FOR UPDATE SKIP LOCKED)
            RETURNING r.run_id AS "RunId", r.thread_id AS "ThreadId"
            """).ToListAsync(cancellationToken);
    }

    /// <summary>A run released for execution.</summary>
    /// <param name="RunId">The run.</param>
    /// <param name="ThreadId">Its thread.</param>
    public sealed record DueRun(Guid RunId, Guid ThreadId);
}
