using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;

namespace Agent.Api.Threads;

/// <summary>
/// Builds the LangGraph Server's <c>Thread</c> and <c>ThreadState</c> objects (reference section 2.3) from the
/// thread row and the fold of its checkpoints.
/// </summary>
internal static class ThreadJson
{
    /// <summary>Loads a thread's checkpoints in fold order.</summary>
    /// <param name="db">The database context.</param>
    /// <param name="threadId">The thread.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The checkpoints.</returns>
    public static Task<List<Checkpoint>> LoadCheckpointsAsync(AgentDbContext db, Guid threadId, CancellationToken cancellationToken) =>
        db.Checkpoints.AsNoTracking().Where(c => c.ThreadId == threadId).OrderBy(c => c.Sequence).ToListAsync(cancellationToken);

    /// <summary>Builds <c>Thread</c>: <c>{thread_id, created_at, updated_at, metadata, status, values, interrupts}</c>.</summary>
    /// <param name="thread">The thread.</param>
    /// <param name="checkpoints">Its checkpoints in fold order.</param>
    /// <returns>The object.</returns>
    public static JsonObject Thread(AgentThread thread, IReadOnlyList<Checkpoint> checkpoints) => new()
    {
        ["thread_id"] = thread.ThreadId.ToString(),
        ["created_at"] = thread.CreatedAt,
        ["updated_at"] = thread.UpdatedAt,
        ["state_updated_at"] = checkpoints.Count > 0 ? checkpoints[^1].CreatedAt : thread.CreatedAt,
        ["metadata"] = JsonNode.Parse(thread.Metadata),
        ["status"] = thread.Status,
        ["values"] = new JsonObject { ["messages"] = CheckpointFold.Fold(checkpoints) },
        ["interrupts"] = new JsonObject(),
    };

    /// <summary>
    /// Builds <c>ThreadState</c>: <c>{values, next, tasks, checkpoint, metadata, created_at, parent_checkpoint, interrupts}</c>.
    /// </summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="checkpoints">Its checkpoints in fold order.</param>
    /// <returns>The object (with null checkpoint fields for an empty thread).</returns>
    public static JsonObject State(Guid threadId, IReadOnlyList<Checkpoint> checkpoints)
    {
        var last = checkpoints.Count > 0 ? checkpoints[^1] : null;
        return new JsonObject
        {
            ["values"] = new JsonObject { ["messages"] = CheckpointFold.Fold(checkpoints) },
            ["next"] = new JsonArray(),
            ["tasks"] = new JsonArray(),
            ["checkpoint"] = CheckpointRef(threadId, last?.CheckpointId),
            ["metadata"] = last is null ? new JsonObject() : JsonNode.Parse(last.Metadata),
            ["created_at"] = last?.CreatedAt,
            ["parent_checkpoint"] = last?.ParentCheckpointId is { } parent ? CheckpointRef(threadId, parent) : null,
            ["interrupts"] = new JsonArray(),
        };
    }

    private static JsonObject CheckpointRef(Guid threadId, Guid? checkpointId) => new()
    {
        ["thread_id"] = threadId.ToString(),
        ["checkpoint_ns"] = string.Empty,
        ["checkpoint_id"] = checkpointId?.ToString(),
    };
}
