using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Identifiers;
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
            JsonNode.Parse(thread.Metadata), thread.Status, CheckpointFold.FoldHeadValues(checkpoints), PendingByTask(thread, checkpoints)),
        ThreadsJsonContext.Default.ThreadResource);

    /// <summary>
    /// The thread's pending interrupts by task (<c>{task_id: [{value, id}]}</c>): those its head checkpoint paused on,
    /// while the thread is <c>interrupted</c>; a static pause lists its task with no values, as LangGraph does.
    /// </summary>
    private static JsonObject PendingByTask(AgentThread thread, IReadOnlyList<Checkpoint> checkpoints)
    {
        var pending = new JsonObject();
        if (thread.Status != AgentThreadStatus.Interrupted || CheckpointFold.Head(checkpoints) is not { } head)
        {
            return pending;
        }

        foreach (var task in Tasks(head, Next(head, CheckpointFold.FoldValues(CheckpointFold.Lineage(checkpoints, head.CheckpointId)))))
        {
            pending[task["id"]!.GetValue<string>()] = task["interrupts"]!.DeepClone();
        }

        return pending;
    }

    /// <summary>
    /// Builds <c>ThreadState</c> at a checkpoint: <c>{values, next, tasks, checkpoint, metadata, created_at,
    /// parent_checkpoint, interrupts}</c>; <c>next</c> names the node the graph would run from there (<c>agent</c>
    /// after input or tool results, <c>tools</c> after tool calls, none after an answer).
    /// </summary>
    /// <param name="threadId">The thread.</param>
    /// <param name="checkpoints">The thread's checkpoints (any order).</param>
    /// <param name="at">The checkpoint, or null for an empty thread (null checkpoint fields).</param>
    /// <returns>The object.</returns>
    /// <param name="checkpointNs">The namespace of the checkpoints (empty: the thread's own graph).</param>
    public static JsonObject State(Guid threadId, IReadOnlyList<Checkpoint> checkpoints, Checkpoint? at, string checkpointNs = "")
    {
        var values = at is null ? new JsonObject { ["messages"] = new JsonArray() } : CheckpointFold.FoldValues(CheckpointFold.Lineage(checkpoints, at.CheckpointId));
        var next = at is null ? [] : Next(at, values);
        var tasks = at is null ? [] : Tasks(at, next);
        var waiting = new JsonArray([.. tasks.SelectMany(t => t["interrupts"]!.AsArray()).Select(i => i!.DeepClone())]);
        return ApiJsonContext.ToObject(
            new ThreadStateResource(
                values, next, new JsonArray([.. tasks]), new CheckpointReference(threadId, checkpointNs, at?.CheckpointId),
                at is null ? new JsonObject() : JsonNode.Parse(at.Metadata), at?.CreatedAt,
                at?.ParentCheckpointId is { } parent ? new CheckpointReference(threadId, checkpointNs, parent) : null, waiting),
            ThreadsJsonContext.Default.ThreadStateResource);
    }

    /// <summary>
    /// Fills each pending task of a head state that is running a subgraph with the subgraph's state (LangGraph's
    /// <c>get_state(subgraphs=True)</c>): the task's <c>state</c> is the <c>ThreadState</c> of the subgraph's namespace
    /// (<c>node:task_id</c>) at its last checkpoint, and its <c>checkpoint</c> names that checkpoint. A subgraph's steps
    /// after the head belong to the head's pending task (the head does not move while the subgraph runs).
    /// </summary>
    /// <param name="state">The head state (<see cref="State"/>), changed in place.</param>
    /// <param name="threadId">The thread.</param>
    /// <param name="subgraphCheckpoints">The subgraph checkpoints committed after the head, in fold order.</param>
    public static void AddSubgraphStates(JsonObject state, Guid threadId, IReadOnlyList<Checkpoint> subgraphCheckpoints)
    {
        foreach (var task in (state["tasks"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var prefix = task["name"]?.GetValue<string>() + ":";
            var last = subgraphCheckpoints.LastOrDefault(c => c.CheckpointNs.StartsWith(prefix, StringComparison.Ordinal) && !c.CheckpointNs.Contains('|'));
            if (last is null)
            {
                continue;
            }

            var own = subgraphCheckpoints.Where(c => c.CheckpointNs == last.CheckpointNs).ToList();
            task["state"] = State(threadId, own, last, last.CheckpointNs);
            task["checkpoint"] = ApiJsonContext.ToObject(
                new CheckpointReference(threadId, last.CheckpointNs, last.CheckpointId), ThreadsJsonContext.Default.CheckpointReference);
        }
    }

    /// <summary>
    /// The nodes the graph runs next from a checkpoint: as the worker routed them when it committed the step
    /// (<see cref="Checkpoint.Next"/>); for checkpoints nobody routed (state updates, older rows), inferred from the
    /// messages as the agent graph routes (<c>agent</c> after input or tool results, <c>tools</c> after tool calls).
    /// </summary>
    private static List<string> Next(Checkpoint at, JsonObject values) =>
        at.Next is { } routed ? [.. routed] : [.. NextNodes((JsonArray)values["messages"]!)];

    /// <summary>
    /// The pending tasks at a checkpoint, one per next node (LangGraph <c>PregelTask</c>: <c>{id, name, path, error,
    /// interrupts, checkpoint, state}</c>); a node the thread paused on carries its waiting interrupts (<c>{value, id}</c>).
    /// The task id is the UUID v5 of the checkpoint and node, so it is the same on every read.
    /// </summary>
    private static List<JsonObject> Tasks(Checkpoint at, IReadOnlyList<string> next)
    {
        var paused = PendingInterrupt.Parse(at.Interrupts);
        return [.. next.Select(node => new JsonObject
        {
            ["id"] = DeterministicGuid.Create($"task:{at.CheckpointId}:{node}").ToString(),
            ["name"] = node,
            ["path"] = new JsonArray("__pregel_pull", node),
            ["error"] = null,
            ["interrupts"] = new JsonArray([.. paused.Where(p => p.Node == node && p.IsWaiting).Select(p => (JsonNode)p.ToWire())]),
            ["checkpoint"] = null,
            ["state"] = null,
        })];
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
