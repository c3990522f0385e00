using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Threads;

namespace Agent.Api.Threads;

/// <summary>
/// Builds the LangGraph Server's <c>Thread</c> and <c>ThreadState</c> objects (reference section 2.3) from the
/// thread row and the fold of its checkpoints along the branch that ends at the thread's head.
/// </summary>
internal static class ThreadJson
{
    /// <summary>The fields of a thread, for <c>select</c>.</summary>
    public static readonly string[] Fields =
        ["thread_id", "created_at", "updated_at", "state_updated_at", "metadata", "status", "values", "interrupts"];

    /// <summary>Builds <c>Thread</c>: <c>{thread_id, created_at, updated_at, metadata, status, values, interrupts}</c>.</summary>
    /// <param name="thread">The thread.</param>
    /// <param name="checkpoints">Its checkpoints in sequence order.</param>
    /// <returns>The object.</returns>
    public static JsonObject Thread(AgentThread thread, IReadOnlyList<Checkpoint> checkpoints) => ApiJsonContext.ToObject(
        new ThreadResource(
            thread.ThreadId, thread.CreatedAt, thread.UpdatedAt, checkpoints.Count > 0 ? checkpoints[^1].CreatedAt : thread.CreatedAt,
            JsonNode.Parse(thread.Metadata), thread.Status, CheckpointFold.FoldHeadValues(checkpoints), []),
        ThreadsJsonContext.Default.ThreadResource);

    /// <summary>
    /// Builds <c>ThreadState</c> at a checkpoint: <c>{values, next, tasks, checkpoint, metadata, created_at,
    /// parent_checkpoint, interrupts}</c>; <c>next</c> names the node the graph would run from there (<c>agent</c>
    /// after input or tool results, <c>tools</c> after tool calls, none after an answer).
    /// </summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="checkpoints">The thread's checkpoints (any order).</param>
    /// <param name="at">The checkpoint, or null for an empty thread (null checkpoint fields).</param>
    /// <returns>The object.</returns>
    public static JsonObject State(Guid threadId, IReadOnlyList<Checkpoint> checkpoints, Checkpoint? at)
    {
        var values = at is null ? new JsonObject { ["messages"] = new JsonArray() } : CheckpointFold.FoldValues(CheckpointFold.Lineage(checkpoints, at.CheckpointId));
        var messages = (JsonArray)values["messages"]!;
        return ApiJsonContext.ToObject(
            new ThreadStateResource(
                values, NextNodes(messages).ToList(), [], new CheckpointReference(threadId, string.Empty, at?.CheckpointId),
                at is null ? new JsonObject() : JsonNode.Parse(at.Metadata), at?.CreatedAt,
                at?.ParentCheckpointId is { } parent ? new CheckpointReference(threadId, string.Empty, parent) : null, []),
            ThreadsJsonContext.Default.ThreadStateResource);
    }

    /// <summary>Builds a checkpoint reference, <c>{thread_id, checkpoint_ns, checkpoint_id}</c> (LangGraph <c>Checkpoint</c>).</summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="checkpointId">The checkpoint, or null.</param>
    /// <returns>The object.</returns>
    public static JsonObject CheckpointRef(Guid threadId, Guid? checkpointId) =>
        ApiJsonContext.ToObject(new CheckpointReference(threadId, string.Empty, checkpointId), ThreadsJsonContext.Default.CheckpointReference);

    /// <summary>
    /// Reads a checkpoint id from the shapes clients send: a string, <c>{checkpoint_id}</c>, or a config
    /// <c>{configurable: {checkpoint_id}}</c>.
    /// </summary>
    /// <param name="node">The value.</param>
    /// <param name="field">The field name, for the error.</param>
    /// <returns>The id (null when absent), or a 422 detail.</returns>
    public static (Guid? Id, string? Error) ReadCheckpointId(JsonNode? node, string field)
    {
        var text = node switch
        {
            null => null,
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonObject o when o["checkpoint_id"] is JsonValue id && id.TryGetValue<string>(out var s) => s,
            JsonObject o when o["configurable"]?["checkpoint_id"] is JsonValue id && id.TryGetValue<string>(out var s) => s,
            JsonObject o when o["checkpoint_id"] is null && o["configurable"]?["checkpoint_id"] is null => null,
            _ => "",
        };
        if (text is null)
        {
            return (null, null);
        }

        return Guid.TryParse(text, out var checkpointId)
            ? (checkpointId, null)
            : (null, $"{field} must name a checkpoint: a checkpoint_id UUID, {{\"checkpoint_id\": ...}} or {{\"configurable\": {{\"checkpoint_id\": ...}}}}.");
    }

    private static IEnumerable<string> NextNodes(JsonArray messages)
    {
        if (messages.Count == 0 || messages[^1] is not JsonObject last)
        {
            yield break;
        }

        if (last["type"]?.GetValue<string>() != "ai")
        {
            yield return "agent";
        }
        else if (last["tool_calls"] is JsonArray { Count: > 0 })
        {
            yield return "tools";
        }
    }
}
