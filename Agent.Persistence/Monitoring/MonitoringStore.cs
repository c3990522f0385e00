using Agent.Persistence.Runs;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Monitoring;

/// <summary>
/// Reads what the web console shows beyond the LangGraph resources: runs across threads, a run's whole timeline, and
/// the system's state. Every run query goes through the tenant-scoped context, so a caller only ever sees its own
/// tenant's runs; workers and rate limits are shared infrastructure and name no tenant data.
/// </summary>
/// <param name="context">The request's tenant-scoped context.</param>
public sealed class MonitoringStore(AgentDbContext context)
{
    /// <summary>Lists runs, newest first.</summary>
    /// <param name="filter">What to list.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The runs.</returns>
    public async Task<IReadOnlyList<RunSummary>> ListRunsAsync(RunListFilter filter, CancellationToken cancellationToken)
    {
        var runs = context.Runs.AsNoTracking();
        if (filter.Status is { } status)
        {
            runs = runs.Where(r => r.Status == status);
        }

        if (filter.AssistantId is { } assistant)
        {
            runs = runs.Where(r => r.AssistantId == assistant);
        }

        if (filter.ThreadId is { } thread)
        {
            runs = runs.Where(r => r.ThreadId == thread);
        }

        if (filter.Since is { } since)
        {
            runs = runs.Where(r => r.CreatedAt >= since);
        }

        if (filter.Until is { } until)
        {
            runs = runs.Where(r => r.CreatedAt < until);
        }

        return await runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.RunId).Take(filter.Limit)
            .Select(Summary).ToListAsync(cancellationToken);
    }

    /// <summary>Loads a run's timeline.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>The timeline, or null when the run does not exist for the caller's tenant.</returns>
    public async Task<RunTimeline?> LoadRunAsync(Guid runId, CancellationToken cancellationToken)
    {
        var run = await context.Runs.AsNoTracking().Where(r => r.RunId == runId).Select(Summary).FirstOrDefaultAsync(cancellationToken);
        if (run is null)
        {
            return null;
        }

        var leases = await context.RunLeases.AsNoTracking().Where(l => l.RunId == runId).OrderBy(l => l.Epoch).ToListAsync(cancellationToken);
        // Run events carry no tenant column: the run was found through the scoped context above, so its events are the caller's.
        var events = await context.RunEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        var calls = await context.ModelCalls.AsNoTracking().Where(c => c.RunId == runId).OrderBy(c => c.CreatedAt).ThenBy(c => c.Step).ToListAsync(cancellationToken);
        return new RunTimeline(run, leases, events, calls);
    }

    /// <summary>Reads the system's state.</summary>
    /// <param name="cancellationToken">Cancels the queries.</param>
    /// <returns>The snapshot.</returns>
    public async Task<SystemSnapshot> LoadSystemAsync(CancellationToken cancellationToken)
    {
        var counts = await context.Runs.AsNoTracking()
            .Where(r => r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running)
            .GroupBy(r => new { r.Status, Parked = r.NextAttemptAt != null })
            .Select(g => new { g.Key.Status, g.Key.Parked, Count = g.Count() })
            .ToListAsync(cancellationToken);
        var workers = await context.WorkerReports.AsNoTracking().OrderByDescending(w => w.ReportedAt).Take(200).ToListAsync(cancellationToken);
        var limits = await context.ProviderRateLimits.AsNoTracking().OrderBy(l => l.Key).Take(200).ToListAsync(cancellationToken);
        return new SystemSnapshot(
            counts.Where(c => c.Status == AgentRunStatus.Pending && !c.Parked).Sum(c => c.Count),
            counts.Where(c => c.Status == AgentRunStatus.Running).Sum(c => c.Count),
            counts.Where(c => c.Status == AgentRunStatus.Pending && c.Parked).Sum(c => c.Count),
            workers,
            limits);
    }

    private static readonly System.Linq.Expressions.Expression<Func<AgentRun, RunSummary>> Summary = r => new RunSummary(
        r.RunId, r.ThreadId, r.AssistantId, r.Status, r.CreatedAt, r.StartedAt, r.EndedAt, r.StepCount, r.InputTokens,
        r.OutputTokens, r.CostUsd, r.Attempt, r.RetryCount, r.LeaseOwner, r.NextAttemptAt, r.Error, r.Kwargs);
}
