using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Checkpoints;

/// <summary>Reads checkpoints for the API (tenant-scoped through the context's query filter).</summary>
/// <param name="db">The request's database context.</param>
public sealed class CheckpointQueries(AgentDbContext db)
{
    /// <summary>Loads a thread's checkpoints in fold order (by sequence).</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The checkpoints, oldest first.</returns>
    public Task<List<Checkpoint>> LoadAsync(Guid threadId, CancellationToken cancellationToken) =>
        db.Checkpoints.AsNoTracking().Where(c => c.ThreadId == threadId).OrderBy(c => c.Sequence).ToListAsync(cancellationToken);

    /// <summary>
    /// Loads the checkpoints a thread's subgraphs committed (<see cref="Checkpoint.CheckpointNs"/> not empty) after
    /// <paramref name="afterSequence"/>, in fold order.
    /// </summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="afterSequence">Only checkpoints after this position in the thread.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The checkpoints, oldest first.</returns>
    public Task<List<Checkpoint>> LoadSubgraphsAsync(Guid threadId, long afterSequence, CancellationToken cancellationToken) =>
        // The thread was found through the tenant-scoped context, and a checkpoint belongs to its thread's tenant.
        db.Checkpoints.IgnoreQueryFilters().AsNoTracking()
            .Where(c => c.ThreadId == threadId && c.CheckpointNs != "" && c.Sequence > afterSequence)
            .OrderBy(c => c.Sequence).ToListAsync(cancellationToken);

    /// <summary>Loads the checkpoints of several threads with one query (a page of a thread search).</summary>
    /// <param name="threadIds">The threads.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>Each thread's checkpoints in fold order.</returns>
    public async Task<ILookup<Guid, Checkpoint>> LoadManyAsync(IReadOnlyCollection<Guid> threadIds, CancellationToken cancellationToken) =>
        (await db.Checkpoints.AsNoTracking().Where(c => threadIds.Contains(c.ThreadId)).OrderBy(c => c.Sequence).ToListAsync(cancellationToken))
        .ToLookup(c => c.ThreadId);
}
