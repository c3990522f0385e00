using System.Text.Json.Nodes;
using Agent.Persistence.Threads;

namespace Agent.Api.Threads;

/// <summary>
/// The LangGraph Server's <c>Thread</c> object (reference section 2.3), serialized by <see cref="ThreadsJsonContext"/>
/// with snake_case names in this order.
/// </summary>
/// <param name="ThreadId">The thread's id.</param>
/// <param name="CreatedAt">When it was created (UTC).</param>
/// <param name="UpdatedAt">When it last changed (UTC).</param>
/// <param name="StateUpdatedAt">When its newest checkpoint was written (UTC), or its creation time.</param>
/// <param name="Metadata">Its metadata object.</param>
/// <param name="Status">Its status: <c>idle</c>, <c>busy</c>, <c>interrupted</c> or <c>error</c>.</param>
/// <param name="Values">Its current state: <c>{"messages": [...], channel: value ...}</c> (every channel of its graph that holds a value).</param>
/// <param name="Interrupts">
/// Pending interrupts by task id, <c>{task_id: [{value, id}]}</c>, while the thread is <c>interrupted</c> (a static
/// pause lists its task with an empty list); empty otherwise.
/// </param>
internal sealed record ThreadResource(
    Guid ThreadId, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset StateUpdatedAt, JsonNode? Metadata, AgentThreadStatus Status,
    JsonObject Values, JsonObject Interrupts);

/// <summary>
/// The LangGraph Server's <c>ThreadState</c> object at one checkpoint (reference section 2.3), serialized by
/// <see cref="ThreadsJsonContext"/>.
/// </summary>
/// <param name="Values">The state at the checkpoint: <c>{"messages": [...], channel: value ...}</c>.</param>
/// <param name="Next">The nodes the graph runs next from the checkpoint; empty when it ends there.</param>
/// <param name="Tasks">The pending tasks, one per next node: <c>{id, name, path, error, interrupts, checkpoint, state}</c>.</param>
/// <param name="Checkpoint">The checkpoint (null id for an empty thread).</param>
/// <param name="Metadata">The checkpoint's metadata object.</param>
/// <param name="CreatedAt">When the checkpoint was written (UTC), or null.</param>
/// <param name="ParentCheckpoint">The checkpoint before it, or null.</param>
/// <param name="Interrupts">The interrupts waiting at the checkpoint, <c>[{value, id}]</c> (a static pause has none).</param>
internal sealed record ThreadStateResource(
    JsonObject Values, IReadOnlyList<string> Next, JsonArray Tasks, CheckpointReference Checkpoint, JsonNode? Metadata,
    DateTimeOffset? CreatedAt, CheckpointReference? ParentCheckpoint, JsonArray Interrupts);

/// <summary>A checkpoint reference, LangGraph's <c>Checkpoint</c>: <c>{thread_id, checkpoint_ns, checkpoint_id}</c>.</summary>
/// <param name="ThreadId">The thread.</param>
/// <param name="CheckpointNs">The namespace: empty for the thread's own graph, <c>node:task_id</c> for a subgraph's.</param>
/// <param name="CheckpointId">The checkpoint, or null.</param>
internal sealed record CheckpointReference(Guid ThreadId, string CheckpointNs, Guid? CheckpointId);
