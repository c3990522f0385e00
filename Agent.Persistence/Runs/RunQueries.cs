using Agent.Persistence.RunEvents;
using Agent.Persistence.Usage;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Runs;

/// <summary>
/// Reads runs, their events and model calls for the API's run, stream and usage endpoints (tenant-scoped through the
/// context's query filter), and deletes a finished run. Run state changes belong to the run lifecycle, not here.
/// </summary>
/// <param name="db">The request's database context.</param>
public sealed class RunQueries(AgentDbContext db)
{
    /// <summary>Finds a run.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="threadId">Its thread, or null for any (a stateless path).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The run (not tracked), or null.</returns>
    public Task<AgentRun?> FindAsync(Guid runId, Guid? threadId, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.RunId == runId && (threadId == null || r.ThreadId == threadId), cancellationToken);

    /// <summary>Lists a thread's runs, newest first.</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="status">Only runs with this status, or null for all.</param>
    /// <param name="offset">How many to skip.</param>
    /// <param name="limit">How many to return.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The page.</returns>
    public Task<List<AgentRun>> ListAsync(Guid threadId, AgentRunStatus? status, int offset, int limit, CancellationToken cancellationToken)
    {
        var query = db.Runs.AsNoTracking().Where(r => r.ThreadId == threadId);
        if (status is not null)
        {
            query = query.Where(r => r.Status == status);
        }

        return query.OrderByDescending(r => r.CreatedAt).Skip(offset).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Lists unfinished (pending or running) runs, oldest first, narrowed by every filter given (a null filter
    /// narrows nothing).
    /// </summary>
    /// <param name="threadId">Only this thread's runs, or null.</param>
    /// <param name="runIds">Only these runs, or null.</param>
    /// <param name="status">Only <c>pending</c> or only <c>running</c> runs, or null for both.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The runs (not tracked).</returns>
    public Task<List<AgentRun>> UnfinishedAsync(Guid? threadId, IReadOnlyList<Guid>? runIds, AgentRunStatus? status, CancellationToken cancellationToken)
    {
        var query = db.Runs.AsNoTracking().Where(r => r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running);
        if (threadId is not null)
        {
            query = query.Where(r => r.ThreadId == threadId);
        }

        if (runIds is not null)
        {
            query = query.Where(r => runIds.Contains(r.RunId));
        }

        if (status is not null)
        {
            query = query.Where(r => r.Status == status);
        }

        return query.OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Finds the next run a thread-level stream follows: the oldest of the thread's runs that is unfinished or was
    /// created at or after <paramref name="since"/>, other than those already followed.
    /// </summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="since">When the stream joined (UTC).</param>
    /// <param name="followed">The runs already streamed.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The run (not tracked), or null when there is none yet.</returns>
    public Task<AgentRun?> NextToFollowAsync(Guid threadId, DateTimeOffset since, IReadOnlyCollection<Guid> followed, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking()
            .Where(r => r.ThreadId == threadId && !followed.Contains(r.RunId)
                        && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running || r.CreatedAt >= since))
            .OrderBy(r => r.CreatedAt).ThenBy(r => r.RunId)
            .FirstOrDefaultAsync(cancellationToken);

    /// <summary>Reads how far a run has got: its status and last event sequence.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The status and sequence, or null when the run is gone (rolled back or deleted).</returns>
    public async Task<(AgentRunStatus Status, long LastEventSequence)?> ProgressAsync(Guid runId, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.RunId == runId)
            .Select(r => new { r.Status, r.LastEventSequence }).FirstOrDefaultAsync(cancellationToken);
        return run is null ? null : (run.Status, run.LastEventSequence);
    }

    /// <summary>Reads a run's events after a sequence, in sequence order.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="afterSequence">The last sequence already seen (0: none).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The events (not tracked).</returns>
    public Task<List<RunEvent>> EventsAfterAsync(Guid runId, long afterSequence, CancellationToken cancellationToken) =>
        db.RunEvents.AsNoTracking().Where(e => e.RunId == runId && e.Sequence > afterSequence).OrderBy(e => e.Sequence)
            .ToListAsync(cancellationToken);

    /// <summary>Reads a run's model calls in the order they were committed.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The calls (not tracked).</returns>
    public Task<List<ModelCall>> ModelCallsAsync(Guid runId, CancellationToken cancellationToken) =>
        // In call order: a subgraph's steps are numbered in their own namespace.
        db.ModelCalls.AsNoTracking().Where(c => c.RunId == runId).OrderBy(c => c.CreatedAt).ThenBy(c => c.Step).ToListAsync(cancellationToken);

    /// <summary>Deletes a run (its events cascade; its checkpoints stay, their run id set null).</summary>
    /// <param name="runId">The run, which has ended.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>A task that completes when the run is gone.</returns>
    public Task DeleteAsync(Guid runId, CancellationToken cancellationToken) =>
        db.Runs.Where(r => r.RunId == runId && (r.Status != AgentRunStatus.Pending && r.Status != AgentRunStatus.Running))
            .ExecuteDeleteAsync(cancellationToken);

    /// <summary>
    /// Tells whether a run belongs to the context's tenant. Callers find runs through the tenant-scoped context first;
    /// <c>run_events</c> and the live fan-out are keyed by run id alone, so a caller that skipped the lookup must fail
    /// loudly instead of leaking.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <returns>True when the run is visible to the context (or the context is unscoped).</returns>
    public bool IsVisible(AgentRun run) => db.TenantId is null || run.TenantId == db.TenantId;
}
