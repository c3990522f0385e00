using System.Text.Json.Serialization;

namespace Agent.Api.Streaming;

/// <summary>
/// A LangGraph stream mode this server streams (LangGraph SDK <c>StreamMode</c>), spelled on the wire as its
/// <see cref="JsonStringEnumMemberNameAttribute"/> (read and written by <see cref="Agent.Persistence.Wire.WireName"/>).
/// <c>events</c> (LangChain callback events) is not one: a request for it is refused with 422.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<StreamMode>))]
internal enum StreamMode
{
    /// <summary>Full state after each step. The default.</summary>
    [JsonStringEnumMemberName("values")]
    Values,

    /// <summary>Each node's update, <c>{"node": {"messages": [...]}}</c>.</summary>
    [JsonStringEnumMemberName("updates")]
    Updates,

    /// <summary>
    /// Messages as <c>[chunk, metadata]</c> tuples, SSE event <c>messages</c>: model output as token chunks
    /// (<c>AIMessageChunk</c>, one stable id per message), other messages whole.
    /// </summary>
    [JsonStringEnumMemberName("messages-tuple")]
    MessagesTuple,

    /// <summary>Legacy messages: <c>messages/metadata</c>, <c>messages/partial</c> (the message so far), <c>messages/complete</c>.</summary>
    [JsonStringEnumMemberName("messages")]
    Messages,

    /// <summary>Our usage events: one <c>{"type": "model_call", ...}</c> per model call.</summary>
    [JsonStringEnumMemberName("custom")]
    Custom,

    /// <summary>LangGraph debug events: <c>{type: task | task_result | checkpoint, timestamp, step, payload}</c>.</summary>
    [JsonStringEnumMemberName("debug")]
    Debug,

    /// <summary>Task start and result payloads (the <c>task</c> and <c>task_result</c> payloads of <see cref="Debug"/>).</summary>
    [JsonStringEnumMemberName("tasks")]
    Tasks,

    /// <summary>Checkpoint payloads: <c>{config, parent_config, values, metadata, next, tasks}</c>.</summary>
    [JsonStringEnumMemberName("checkpoints")]
    Checkpoints,

    /// <summary>LangChain's <c>astream_events</c> v2 events, SSE event <c>events</c> (<see cref="LangChainEvents"/>).</summary>
    [JsonStringEnumMemberName("events")]
    Events,
}
