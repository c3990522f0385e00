using System.Text.Json;
using System.Text.Json.Nodes;

namespace Agent.Worker.Graphs;

/// <summary>
/// What a node returns: messages to add to the <c>messages</c> channel (merged by <c>id</c>: a message whose id is
/// already in the state replaces it, any other is appended; a message without an id gets
/// <c>run-{run_id:N}-{step}-{index}</c>) and values to write to other channels (each passed through the channel's
/// reducer; a channel declared without one keeps the last value written). An empty update is a valid step.
/// </summary>
public sealed class AgentStateUpdate
{
    /// <summary>Gets the messages to add, in LangChain's serialized form (<c>type</c>, <c>content</c>, <c>id</c> ...).</summary>
    public JsonArray Messages { get; } = [];

    /// <summary>Gets the channel writes, by channel name; every name must be a channel the graph declared.</summary>
    public Dictionary<string, JsonNode?> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets a new empty update.</summary>
    public static AgentStateUpdate None => new();

    /// <summary>Creates an update that adds messages.</summary>
    /// <param name="messages">The messages.</param>
    /// <returns>The update.</returns>
    public static AgentStateUpdate WithMessages(params JsonObject[] messages)
    {
        var update = new AgentStateUpdate();
        foreach (var message in messages)
        {
            update.AddMessage(message);
        }

        return update;
    }

    /// <summary>Adds a message.</summary>
    /// <param name="message">The message (LangChain form); it must not belong to another JSON tree.</param>
    /// <returns>This update.</returns>
    public AgentStateUpdate AddMessage(JsonObject message)
    {
        Messages.Add(message);
        return this;
    }

    /// <summary>Writes a channel's value.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="channel">The channel name.</param>
    /// <param name="value">The value, serialized with System.Text.Json's web defaults.</param>
    /// <returns>This update.</returns>
    public AgentStateUpdate Set<T>(string channel, T value)
    {
        Values[channel] = JsonSerializer.SerializeToNode(value, JsonSerializerOptions.Web);
        return this;
    }
}
