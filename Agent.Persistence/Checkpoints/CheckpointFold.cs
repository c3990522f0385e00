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
