using System.Text.Json.Nodes;

namespace Agent.Persistence.Checkpoints;

/// <summary>
/// Folds checkpoints into LangGraph thread state, <c>{"messages": [...]}</c>: each checkpoint's delta is appended,
/// and a message whose <c>id</c> is already present replaces it (LangGraph's <c>add_messages</c> reducer).
/// </summary>
public static class CheckpointFold
{
    /// <summary>Appends the messages of one delta (<c>{"messages": [...]}</c> text) to a message list in place.</summary>
    /// <param name="messages">The state's messages so far.</param>
    /// <param name="deltaJson">The checkpoint delta as JSON text.</param>
    public static void Apply(JsonArray messages, string deltaJson)
    {
        if (JsonNode.Parse(deltaJson) is not JsonObject delta || delta["messages"] is not JsonArray added)
        {
            return;
        }

        Apply(messages, added);
    }

    /// <summary>Appends messages to a message list in place, replacing any with the same <c>id</c>.</summary>
    /// <param name="messages">The state's messages so far.</param>
    /// <param name="added">The messages to add; they are deep-cloned.</param>
    public static void Apply(JsonArray messages, JsonArray added)
    {
        foreach (var message in added)
        {
            if (message is null)
            {
                continue;
            }

            var id = message["id"]?.GetValue<string>();
            var existing = id is null ? -1 : IndexOf(messages, id);
            if (existing >= 0)
            {
                messages[existing] = message.DeepClone();
            }
            else
            {
                messages.Add(message.DeepClone());
            }
        }
    }

    /// <summary>Folds checkpoints, already in thread order, into the thread's messages.</summary>
    /// <param name="checkpoints">The checkpoints, ordered by <see cref="Checkpoint.Sequence"/>.</param>
    /// <returns>The messages.</returns>
    public static JsonArray Fold(IEnumerable<Checkpoint> checkpoints)
    {
        var messages = new JsonArray();
        foreach (var checkpoint in checkpoints)
        {
            Apply(messages, checkpoint.Delta);
        }

        return messages;
    }

    /// <summary>
    /// Folds checkpoints, already in thread order, into the thread's values: <c>messages</c> merged by id (as
    /// <see cref="Fold"/>) and every other channel at the last value a checkpoint wrote. A delta stores a channel's
    /// new, already reduced value (the worker runs the reducer), so the last write is the channel's value.
    /// </summary>
    /// <param name="checkpoints">The checkpoints, ordered by <see cref="Checkpoint.Sequence"/>.</param>
    /// <returns><c>{"messages": [...], "channel": value, ...}</c>, <c>messages</c> first, the others in order of first write.</returns>
    public static JsonObject FoldValues(IEnumerable<Checkpoint> checkpoints)
    {
        var messages = new JsonArray();
        var values = new JsonObject { ["messages"] = messages };
        foreach (var checkpoint in checkpoints)
        {
            if (JsonNode.Parse(checkpoint.Delta) is not JsonObject delta)
            {
                continue;
            }

            foreach (var (channel, value) in delta)
            {
                if (channel == "messages")
                {
                    if (value is JsonArray added)
                    {
                        Apply(messages, added);
                    }
                }
                else
                {
                    values[channel] = value?.DeepClone();
                }
            }
        }

        return values;
    }

    /// <summary>
    /// Gets the checkpoints on the path from the thread's root to <paramref name="headId"/> (inclusive), in fold order,
    /// following <see cref="Checkpoint.ParentCheckpointId"/>. A thread whose runs forked from an earlier checkpoint
    /// (<c>checkpoint_id</c> on a run, or a state update on a checkpoint) has several branches; its state is the fold of
    /// one branch, not of every checkpoint.
    /// </summary>
    /// <param name="checkpoints">The thread's checkpoints (any order).</param>
    /// <param name="headId">The last checkpoint of the branch, or null for none.</param>
    /// <returns>The branch, root first; empty when <paramref name="headId"/> is null or unknown.</returns>
    public static List<Checkpoint> Lineage(IReadOnlyList<Checkpoint> checkpoints, Guid? headId)
    {
        var byId = checkpoints.ToDictionary(c => c.CheckpointId);
        var chain = new List<Checkpoint>();
        var id = headId;
        // The count guard stops a (corrupt) cycle from looping forever.
        while (id is { } current && byId.TryGetValue(current, out var checkpoint) && chain.Count <= checkpoints.Count)
        {
            chain.Add(checkpoint);
            id = checkpoint.ParentCheckpointId;
        }

        chain.Reverse();
        return chain;
    }

    /// <summary>Gets the thread's head: its most recent checkpoint (the one its state is read from).</summary>
    /// <param name="checkpoints">The thread's checkpoints, ordered by <see cref="Checkpoint.Sequence"/>.</param>
    /// <returns>The head, or null for an empty thread.</returns>
    public static Checkpoint? Head(IReadOnlyList<Checkpoint> checkpoints) => checkpoints.Count > 0 ? checkpoints[^1] : null;

    /// <summary>Folds the branch that ends at the thread's head: the thread's current messages.</summary>
    /// <param name="checkpoints">The thread's checkpoints, ordered by <see cref="Checkpoint.Sequence"/>.</param>
    /// <returns>The messages.</returns>
    public static JsonArray FoldHead(IReadOnlyList<Checkpoint> checkpoints) =>
        Fold(Lineage(checkpoints, Head(checkpoints)?.CheckpointId));

    /// <summary>Folds the branch that ends at the thread's head into its values (<see cref="FoldValues"/>).</summary>
    /// <param name="checkpoints">The thread's checkpoints, ordered by <see cref="Checkpoint.Sequence"/>.</param>
    /// <returns>The values.</returns>
    public static JsonObject FoldHeadValues(IReadOnlyList<Checkpoint> checkpoints) =>
        FoldValues(Lineage(checkpoints, Head(checkpoints)?.CheckpointId));

    private static int IndexOf(JsonArray messages, string id)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i]?["id"]?.GetValue<string>() == id)
            {
                return i;
            }
        }

        return -1;
    }
}
