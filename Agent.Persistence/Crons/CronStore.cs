using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Crons;

/// <summary>Reads and writes crons for the API (tenant-scoped through the context's query filter).</summary>
/// <param name="db">The request's database context.</param>
public sealed class CronStore(AgentDbContext db)
{
    /// <summary>Finds a cron.</summary>
    /// <param name="cronId">The cron.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The cron (not tracked), or null.</returns>
    public Task<Cron?> FindAsync(Guid cronId, CancellationToken cancellationToken) =>
        db.Crons.AsNoTracking().SingleOrDefaultAsync(c => c.CronId == cronId, cancellationToken);

    /// <summary>Creates a cron, and its thread when <paramref name="createThread"/> is set.</summary>
    /// <param name="cron">The new cron.</param>
    /// <param name="createThread">Whether to create the cron's thread (<c>if_not_exists=create</c> of a missing thread).</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>A task that completes when the cron is stored.</returns>
    public async Task CreateAsync(Cron cron, bool createThread, CancellationToken cancellationToken)
    {
        if (createThread && cron.ThreadId is { } threadId)
        {
            db.Threads.Add(new AgentThread { ThreadId = threadId, CreatedAt = cron.CreatedAt, UpdatedAt = cron.CreatedAt });
        }

        db.Crons.Add(cron);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
    }

    /// <summary>Saves a changed cron.</summary>
    /// <param name="cron">The cron as found, with its fields changed.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>A task that completes when the cron is stored.</returns>
    public async Task UpdateAsync(Cron cron, CancellationToken cancellationToken)
    {
        db.Crons.Update(cron);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
    }

    /// <summary>Deletes a cron.</summary>
    /// <param name="cronId">The cron.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>A task that completes when the cron is gone.</returns>
    public Task DeleteAsync(Guid cronId, CancellationToken cancellationToken) =>
        db.Crons.Where(c => c.CronId == cronId).ExecuteDeleteAsync(cancellationToken);

    /// <summary>Searches crons.</summary>
    /// <param name="filter">The filters.</param>
    /// <param name="sortBy">
    /// The sort field, as on the wire: <c>created_at</c> (else), <c>updated_at</c>, <c>cron_id</c>, <c>assistant_id</c>,
    /// <c>thread_id</c>, <c>next_run_date</c>, <c>end_time</c>.
    /// </param>
    /// <param name="descending">Whether the order is descending.</param>
    /// <param name="offset">How many to skip.</param>
    /// <param name="limit">How many to return.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The page.</returns>
    public Task<List<Cron>> SearchAsync(CronFilter filter, string sortBy, bool descending, int offset, int limit, CancellationToken cancellationToken)
    {
        var query = Filter(filter);
        query = (sortBy, descending) switch
        {
            ("updated_at", true) => query.OrderByDescending(c => c.UpdatedAt),
            ("updated_at", false) => query.OrderBy(c => c.UpdatedAt),
            ("cron_id", true) => query.OrderByDescending(c => c.CronId),
            ("cron_id", false) => query.OrderBy(c => c.CronId),
            ("assistant_id", true) => query.OrderByDescending(c => c.AssistantId),
            ("assistant_id", false) => query.OrderBy(c => c.AssistantId),
            ("thread_id", true) => query.OrderByDescending(c => c.ThreadId),
            ("thread_id", false) => query.OrderBy(c => c.ThreadId),
            ("next_run_date", true) => query.OrderByDescending(c => c.NextRunDate),
            ("next_run_date", false) => query.OrderBy(c => c.NextRunDate),
            ("end_time", true) => query.OrderByDescending(c => c.EndTime),
            ("end_time", false) => query.OrderBy(c => c.EndTime),
            (_, true) => query.OrderByDescending(c => c.CreatedAt),
            _ => query.OrderBy(c => c.CreatedAt),
        };
        return query.Skip(offset).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>Counts crons.</summary>
    /// <param name="filter">The filters.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The count.</returns>
    public Task<int> CountAsync(CronFilter filter, CancellationToken cancellationToken) => Filter(filter).CountAsync(cancellationToken);

    private IQueryable<Cron> Filter(CronFilter filter)
    {
        IQueryable<Cron> query = db.Crons.AsNoTracking();
        if (filter.AssistantId is { } assistantId)
        {
            query = query.Where(c => c.AssistantId == assistantId);
        }

        if (filter.ThreadId is { } threadId)
        {
            query = query.Where(c => c.ThreadId == threadId);
        }

        if (filter.Enabled is { } enabled)
        {
            query = query.Where(c => c.Enabled == enabled);
        }

        return query;
    }
}
