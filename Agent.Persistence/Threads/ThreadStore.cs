using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Threads;

/// <summary>
/// Reads and writes threads for the API's thread endpoints (tenant-scoped through the context's query filter): create,
/// search, count, patch, copy, delete, and adding a state checkpoint under the thread's row lock.
/// </summary>
/// <param name="db">The request's database context.</param>
/// <param name="checkpoints">The checkpoint reads.</param>
/// <param name="timeProvider">The clock.</param>
public sealed class ThreadStore(AgentDbContext db, CheckpointQueries checkpoints, TimeProvider timeProvider)
{
    /// <summary>Finds a thread.</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The thread (not tracked), or null.</returns>
    public Task<AgentThread?> FindAsync(Guid threadId, CancellationToken cancellationToken) =>
        db.Threads.AsNoTracking().SingleOrDefaultAsync(t => t.ThreadId == threadId, cancellationToken);

    /// <summary>Tells whether a thread exists.</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>True when it does.</returns>
    public Task<bool> ExistsAsync(Guid threadId, CancellationToken cancellationToken) =>
        db.Threads.AsNoTracking().AnyAsync(t => t.ThreadId == threadId, cancellationToken);

    /// <summary>Creates a thread.</summary>
    /// <param name="threadId">The new thread's id.</param>
    /// <param name="metadata">Its metadata object as JSON text.</param>
    /// <param name="ttlMinutes">Its time to live in minutes (<see cref="AgentThread.TtlMinutes"/>), or null.</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The thread, or null when a thread with that id exists (possibly created concurrently).</returns>
    public async Task<AgentThread?> CreateAsync(Guid threadId, string metadata, int? ttlMinutes, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var thread = new AgentThread { ThreadId = threadId, Metadata = metadata, CreatedAt = now, UpdatedAt = now, TtlMinutes = ttlMinutes };
        db.Threads.Add(thread);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Lost a race with a concurrent create of the same id; anything else is a server fault.
            db.ChangeTracker.Clear();
            if (!await ExistsAsync(threadId, cancellationToken))
            {
                throw;
            }

            return null;
        }

        db.ChangeTracker.Clear();
        return thread;
    }

    /// <summary>Searches threads.</summary>
    /// <param name="filter">The filters.</param>
    /// <param name="sortBy">The sort field, as on the wire: <c>created_at</c> (else), <c>updated_at</c>, <c>thread_id</c>, <c>status</c>.</param>
    /// <param name="descending">Whether the order is descending.</param>
    /// <param name="offset">How many to skip.</param>
    /// <param name="limit">How many to return.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The page.</returns>
    public Task<List<AgentThread>> SearchAsync(
        ThreadFilter filter, string sortBy, bool descending, int offset, int limit, CancellationToken cancellationToken)
    {
        var query = Filter(filter);
        query = (sortBy, descending) switch
        {
            ("updated_at", true) => query.OrderByDescending(t => t.UpdatedAt),
            ("updated_at", false) => query.OrderBy(t => t.UpdatedAt),
            ("thread_id", true) => query.OrderByDescending(t => t.ThreadId),
            ("thread_id", false) => query.OrderBy(t => t.ThreadId),
            ("status", true) => query.OrderByDescending(t => t.Status),
            ("status", false) => query.OrderBy(t => t.Status),
            (_, true) => query.OrderByDescending(t => t.CreatedAt),
            _ => query.OrderBy(t => t.CreatedAt),
        };
        return query.Skip(offset).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>Counts threads.</summary>
    /// <param name="filter">The filters.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The count.</returns>
    public Task<int> CountAsync(ThreadFilter filter, CancellationToken cancellationToken) => Filter(filter).CountAsync(cancellationToken);

    /// <summary>Patches a thread: merges metadata keys (the patch's replace the thread's) and sets its ttl.</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="patch">The metadata keys to merge, or null.</param>
    /// <param name="ttlMinutes">The new ttl in minutes (<see cref="AgentThread.TtlMinutes"/>), or null to keep it.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>The thread as updated, or null when it does not exist.</returns>
    public async Task<AgentThread?> PatchAsync(Guid threadId, JsonObject? patch, int? ttlMinutes, CancellationToken cancellationToken)
    {
        var thread = await db.Threads.SingleOrDefaultAsync(t => t.ThreadId == threadId, cancellationToken);
        if (thread is null)
        {
            return null;
        }

        thread.TtlMinutes = ttlMinutes ?? thread.TtlMinutes;

        var merged = JsonNode.Parse(thread.Metadata) as JsonObject ?? [];
        foreach (var (key, value) in patch ?? [])
        {
            merged[key] = value?.DeepClone();
        }

        thread.Metadata = merged.ToJsonString();
        thread.UpdatedAt = timeProvider.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return thread;
    }

    /// <summary>
    /// Merges keys into the metadata of a thread's latest checkpoint (LangGraph's <c>PATCH /threads/{id}/state</c>):
    /// the patch's keys replace the checkpoint's; its other columns stay.
    /// </summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="patch">The keys to merge.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>The checkpoint as updated, or null when the thread has none.</returns>
    public async Task<Checkpoint?> MergeStateMetadataAsync(Guid threadId, JsonObject patch, CancellationToken cancellationToken)
    {
        var head = await db.Checkpoints.Where(c => c.ThreadId == threadId).OrderByDescending(c => c.Sequence).FirstOrDefaultAsync(cancellationToken);
        if (head is null)
        {
            return null;
        }

        var merged = JsonNode.Parse(head.Metadata) as JsonObject ?? [];
        foreach (var (key, value) in patch)
        {
            merged[key] = value?.DeepClone();
        }

        head.Metadata = merged.ToJsonString();
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return head;
    }

    /// <summary>
    /// Copies a thread with its checkpoints, as LangGraph's <c>POST /threads/{id}/copy</c> does: the checkpoints keep
    /// their ids, parents, next nodes and interrupts, and their metadata's <c>thread_id</c> names the copy; the runs stay
    /// with the original (the copies' run links are cleared; <c>metadata.run_id</c> still names the run that wrote them).
    /// </summary>
    /// <param name="source">The thread to copy.</param>
    /// <param name="cancellationToken">Cancels the copy.</param>
    /// <returns>The copy and its checkpoints in fold order.</returns>
    public async Task<(AgentThread Copy, List<Checkpoint> Checkpoints)> CopyAsync(AgentThread source, CancellationToken cancellationToken)
    {
        var original = await checkpoints.LoadAsync(source.ThreadId, cancellationToken);
        var now = timeProvider.GetUtcNow();
        var copy = new AgentThread { ThreadId = Guid.CreateVersion7(), Metadata = source.Metadata, CreatedAt = now, UpdatedAt = now };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Threads.Add(copy);
        await db.SaveChangesAsync(cancellationToken);

        // One insert at a time keeps the sequence order, which is the fold order (EF Core orders one save's inserts by key).
        var copied = new List<Checkpoint>(original.Count);
        foreach (var checkpoint in original)
        {
            var metadata = JsonNode.Parse(checkpoint.Metadata) as JsonObject ?? [];
            metadata["thread_id"] = copy.ThreadId.ToString();
            var clone = new Checkpoint
            {
                CheckpointId = checkpoint.CheckpointId,
                ThreadId = copy.ThreadId,
                RunId = null,
                ParentCheckpointId = checkpoint.ParentCheckpointId,
                Step = checkpoint.Step,
                Node = checkpoint.Node,
                Delta = checkpoint.Delta,
                Metadata = metadata.ToJsonString(),
                Next = checkpoint.Next,
                Interrupts = checkpoint.Interrupts,
                CreatedAt = checkpoint.CreatedAt,
            };
            db.Checkpoints.Add(clone);
            await db.SaveChangesAsync(cancellationToken);
            copied.Add(clone);
        }

        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return (copy, copied);
    }

    private IQueryable<AgentThread> Filter(ThreadFilter filter)
    {
        IQueryable<AgentThread> query = db.Threads.AsNoTracking();
        if (filter.MetadataContains is { } metadata)
        {
            query = query.Where(t => EF.Functions.JsonContains(t.Metadata, metadata));
        }

        if (filter.Status is { } status)
        {
            query = query.Where(t => t.Status == status);
        }

        if (filter.Ids is { } ids)
        {
            query = query.Where(t => ids.Contains(t.ThreadId));
        }

        return query;
    }
}
