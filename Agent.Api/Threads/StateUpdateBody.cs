using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Threads;

/// <summary>
/// One state update as it comes over the wire (LangGraph <c>ThreadStateUpdate</c>, reference section 2.1): the body of
/// <c>POST /threads/{id}/state</c> and each update of a superstep. <see cref="StateUpdateRequest"/> validates the values.
/// </summary>
internal sealed record StateUpdateBody
{
    /// <summary>Gets the values to write, <c>{"messages": [...]}</c>, or null for none.</summary>
    [JsonPropertyName("values")]
    public JsonObject? Values { get; init; }

    /// <summary>Gets the node the update is written as, or null for <c>__update__</c>.</summary>
    [JsonPropertyName("as_node")]
    [WireError(StateUpdateRequest.AsNodeError)]
    public string? AsNode { get; init; }

    /// <summary>Gets the checkpoint to write on, <c>{"checkpoint_id": ...}</c> (the endpoint reads it), or null for the head.</summary>
    [JsonPropertyName("checkpoint")]
    public JsonNode? Checkpoint { get; init; }

    /// <summary>Gets the checkpoint to write on as a UUID (the endpoint reads it), or null for the head.</summary>
    [JsonPropertyName("checkpoint_id")]
    public JsonNode? CheckpointId { get; init; }
}
