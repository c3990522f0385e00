using System.Text.Json;
using System.Text.Json.Nodes;

namespace Agent.Worker.Graphs;

/// <summary>
/// The state a node reads: the <c>messages</c> channel (LangChain-serialized messages: <c>type</c>
/// human/ai/tool/system, <c>content</c>, <c>id</c>, <c>tool_calls</c> ...) and the values of the graph's other
/// channels (JSON). It is read-only by contract: a node changes the state only by returning an
/// <see cref="AgentStateUpdate"/>, which the run commits as the step.
/// </summary>
public sealed class AgentGraphState
{
    private readonly JsonObject values;

    internal AgentGraphState(JsonArray messages, JsonObject values)
    {
        Messages = messages;
        this.values = values;
    }

    /// <summary>Gets the messages, oldest first (the thread's branch folded, this run's committed steps included).</summary>
    public JsonArray Messages { get; }

    /// <summary>Gets the names of the channels other than <c>messages</c> that hold a value.</summary>
    public IEnumerable<string> Channels => values.Select(p => p.Key);

    /// <summary>Gets whether the last message is an <c>ai</c> message with at least one tool call.</summary>
    public bool LastMessageHasToolCalls =>
        Messages.Count > 0 && Messages[^1] is JsonObject last && last["type"]?.GetValue<string>() == "ai"
        && last["tool_calls"] is JsonArray { Count: > 0 };

    /// <summary>Gets a channel's value (JSON), or null when it has none.</summary>
    /// <param name="channel">The channel name.</param>
    /// <returns>The value; do not modify it.</returns>
    public JsonNode? this[string channel] => values[channel];

    /// <summary>Gets a channel's value deserialized (System.Text.Json, web defaults), or <paramref name="fallback"/> when it has none.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="channel">The channel name.</param>
    /// <param name="fallback">The value returned when the channel is empty. Default is <c>default(T)</c>.</param>
    /// <returns>The value.</returns>
    /// <exception cref="JsonException">The value does not deserialize to <typeparamref name="T"/>.</exception>
    public T? Get<T>(string channel, T? fallback = default) =>
        values[channel] is { } node ? node.Deserialize<T>(JsonSerializerOptions.Web) : fallback;
}
