using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Runs;

// The writes to a run's owners (its thread, its assistant) that depend on the owner's runs: they live with the run's
// lifecycle, which owns the lock order they share with accepting and committing runs, so Threads and Assistants
// need not know runs.
public partial class RunLifecycle
{
    /// <summary>
    /// Deletes a thread with its runs (their events cascade) and checkpoints. Cancel its unfinished runs first, so
    /// their workers stop instead of writing into a deleted thread.
    /// </summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>A task that completes when the thread is gone.</returns>
    public async Task DeleteThreadAsync(Guid threadId, CancellationToken cancellationToken)
    {
        // Runs first, then the thread: the order a worker's step commit locks them in (run row, then the thread's key),
        // so the two cannot deadlock.
        await context.Runs.Where(r => r.ThreadId == threadId).ExecuteDeleteAsync(cancellationToken);
        await context.Threads.Where(t => t.ThreadId == threadId).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>
    /// Adds messages and channel values to a thread's state as a new checkpoint (LangGraph <c>POST /threads/{id}/state</c>), on the
    /// thread's head or on an earlier checkpoint (a fork). Refused while a run of the thread is pending or running.
    /// </summary>
    /// <param name="threadId">The thread (it exists).</param>
    /// <param name="forkFrom">The checkpoint to write on, or null for the head.</param>
    /// <param name="asNode">The node the update is written as (<c>__update__</c>, or a node of the thread's graph).</param>
    /// <param name="messages">The messages, in LangChain form with ids.</param>
    /// <param name="values">The new values of the graph's other channels, or null.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>The new checkpoint, or why none was written.</returns>
    public async Task<ThreadStateUpdate> AddThreadStateAsync(
        Guid threadId, Guid? forkFrom, string asNode, JsonArray messages, JsonObject? values, CancellationToken cancellationToken)
    {
        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        // FOR UPDATE serialises this with run creation on the thread (run acceptance takes the same lock).
        await context.Threads.FromSql($"SELECT * FROM agent.threads WHERE tenant_id = {context.TenantId} AND thread_id = {threadId} FOR UPDATE")
            .AsNoTracking().SingleAsync(cancellationToken);
        if (await context.Runs.AnyAsync(
                r => r.ThreadId == threadId && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running), cancellationToken))
        {
            return new ThreadStateUpdate(null, Busy: true, ParentMissing: false);
        }

        var existing = await new CheckpointQueries(context).LoadAsync(threadId, cancellationToken);
        var parent = forkFrom is { } fork ? existing.FirstOrDefault(c => c.CheckpointId == fork) : CheckpointFold.Head(existing);
        if (forkFrom is not null && parent is null)
        {
            return new ThreadStateUpdate(null, Busy: false, ParentMissing: true);
        }

        var now = timeProvider.GetUtcNow();
        var step = (parent?.Step ?? -1) + 1;
        var checkpoint = new Checkpoint
        {
            CheckpointId = Guid.CreateVersion7(),
            ThreadId = threadId,
            RunId = null,
            ParentCheckpointId = parent?.CheckpointId,
            Step = step,
            Node = asNode,
            Delta = Delta(messages, values),
            Metadata = new JsonObject
            {
                ["source"] = "update",
                ["step"] = step,
                ["thread_id"] = threadId.ToString(),
                ["node"] = asNode,
            }.ToJsonString(),
            CreatedAt = now,
        };
        context.Checkpoints.Add(checkpoint);
        await context.SaveChangesAsync(cancellationToken);
        await context.Threads.Where(t => t.ThreadId == threadId).ExecuteUpdateAsync(s => s.SetProperty(t => t.UpdatedAt, now), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        context.ChangeTracker.Clear();
        return new ThreadStateUpdate(checkpoint, Busy: false, ParentMissing: false);
    }

    /// <summary>
    /// Deletes an assistant with its finished runs (their events cascade; checkpoints stay, run id set null), and
    /// optionally the threads stamped with it.
    /// </summary>
    /// <param name="assistantId">The assistant.</param>
    /// <param name="deleteThreads">Whether threads whose metadata names the assistant go too.</param>
    /// <param name="cancellationToken">Cancels the delete.</param>
    /// <returns>False (and nothing deleted) when it has runs pending or running.</returns>
    public async Task<bool> DeleteAssistantAsync(Guid assistantId, bool deleteThreads, CancellationToken cancellationToken)
    {
        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        if (await context.Runs.AnyAsync(
                r => r.AssistantId == assistantId && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running), cancellationToken))
        {
            return false;
        }

        await context.Runs.Where(r => r.AssistantId == assistantId).ExecuteDeleteAsync(cancellationToken);
        if (deleteThreads)
        {
            var stamp = new JsonObject { ["assistant_id"] = assistantId.ToString() }.ToJsonString();
            await context.Threads.Where(t => EF.Functions.JsonContains(t.Metadata, stamp)).ExecuteDeleteAsync(cancellationToken);
        }

        await context.Assistants.Where(a => a.AssistantId == assistantId).ExecuteDeleteAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    // A state update's delta: the messages, then each other channel's new value (as a step writes them).
    private static string Delta(JsonArray messages, JsonObject? values)
    {
        var delta = new JsonObject { ["messages"] = messages.DeepClone() };
        foreach (var (channel, value) in values ?? [])
        {
            delta[channel] = value?.DeepClone();
        }

        return delta.ToJsonString();
    }
}
