using System.Text.Json.Nodes;

namespace Agent.Api.Streaming;

/// <summary>
/// Builds the payloads of stream mode <c>events</c>: LangChain's <c>astream_events</c> v2 events,
/// <c>{"event", "name", "run_id", "tags", "metadata", "data", "parent_ids"}</c>, as the LangGraph server streams them
/// (SSE event <c>events</c>). Per node: <c>on_chain_start</c> / <c>on_chain_end</c> (name: the node); per model call:
/// <c>on_chat_model_start</c>, <c>on_chat_model_stream</c> (<c>data.chunk</c>: an <c>AIMessageChunk</c>) and
/// <c>on_chat_model_end</c> (<c>data.output</c>: the <c>ai</c> message); per tool call: <c>on_tool_start</c> and
/// <c>on_tool_end</c> (<c>data.output</c>: the <c>tool</c> message).
/// </summary>
/// <remarks>
/// Source: LangChain's "Streaming events" (<c>astream_events(version="v2")</c>) and the LangGraph Server API's
/// <c>events</c> stream mode. The model's event name is <see cref="ChatModel"/>, the model class being unknown here;
/// <c>run_id</c> is the LangGraph run's, and <c>metadata</c> carries <c>langgraph_node</c> and <c>langgraph_step</c>.
/// </remarks>
internal static class LangChainEvents
{
    /// <summary>The name of the model's events: <c>ChatModel</c>.</summary>
    public const string ChatModel = "ChatModel";

    /// <summary>Builds one event.</summary>
    /// <param name="kind">The event, e.g. <c>on_chain_start</c>.</param>
    /// <param name="name">The runnable's name: a node, <see cref="ChatModel"/> or a tool.</param>
    /// <param name="runId">The LangGraph run.</param>
    /// <param name="metadata">The metadata (<c>langgraph_node</c>, <c>langgraph_step</c> ...).</param>
    /// <param name="data">The data (<c>input</c>, <c>output</c> or <c>chunk</c>).</param>
    /// <returns>The event object.</returns>
    public static JsonObject Create(string kind, string name, Guid runId, JsonObject metadata, JsonObject data) => new()
    {
        ["event"] = kind,
        ["name"] = name,
        ["run_id"] = runId.ToString(),
        ["tags"] = new JsonArray(),
        ["metadata"] = metadata,
        ["data"] = data,
        ["parent_ids"] = new JsonArray(),
    };

    /// <summary>
    /// The events of a committed step, in order; an entry is null where the client already has it (the start events
    /// of a model step whose tokens were streamed live), so the caller keeps each candidate's slot.
    /// </summary>
    /// <param name="step">The stored step event (<c>node</c>, <c>messages</c>, <c>model_call</c>?, <c>tool_calls</c>?).</param>
    /// <param name="node">The node.</param>
    /// <param name="runId">The run.</param>
    /// <param name="metadata">Builds the metadata of each event.</param>
    /// <param name="input">The state the node read, or null when not loaded.</param>
    /// <param name="startedLive">Whether the start events went out with the step's first token.</param>
    /// <returns>The events.</returns>
    public static IEnumerable<JsonObject?> ForStep(
        JsonObject step, string node, Guid runId, Func<JsonObject> metadata, JsonObject? input, bool startedLive)
    {
        var messages = step["messages"] as JsonArray ?? [];
        yield return startedLive ? null : Create("on_chain_start", node, runId, metadata(), new JsonObject { ["input"] = input?.DeepClone() });
        if (step["model_call"] is JsonObject)
        {
            var answer = messages.OfType<JsonObject>().LastOrDefault(m => m["type"]?.GetValue<string>() == "ai");
            yield return startedLive ? null : Create("on_chat_model_start", ChatModel, runId, metadata(), new JsonObject { ["input"] = input?.DeepClone() });
            yield return Create("on_chat_model_end", ChatModel, runId, metadata(), new JsonObject { ["output"] = answer?.DeepClone() });
        }

        foreach (var call in (step["tool_calls"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = call["name"]?.GetValue<string>() ?? "tool";
            var id = call["id"]?.GetValue<string>();
            var result = messages.OfType<JsonObject>().FirstOrDefault(m => m["tool_call_id"]?.GetValue<string>() == id);
            yield return Create("on_tool_start", name, runId, metadata(), new JsonObject { ["input"] = new JsonObject { ["tool_call_id"] = id } });
            yield return Create("on_tool_end", name, runId, metadata(), new JsonObject { ["output"] = result?.DeepClone() });
        }

        yield return Create("on_chain_end", node, runId, metadata(), new JsonObject { ["output"] = new JsonObject { ["messages"] = messages.DeepClone() } });
    }
}
