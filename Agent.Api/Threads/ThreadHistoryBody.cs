using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Threads;

/// <summary>
/// The body of <c>POST /threads/{id}/history</c> as it comes over the wire (LangGraph <c>ThreadStateSearch</c>, reference
/// section 2.1); <c>GET</c> builds the same object from its query.
/// </summary>
internal sealed record ThreadHistoryBody
{
    /// <summary>Gets how many states to return (1 to 1,000, <see cref="SearchRequest.MaxLimit"/>), or null for 10.</summary>
    [JsonPropertyName("limit")]
    [WireError(LimitError)]
    public int? Limit { get; init; }

    /// <summary>Gets the checkpoint (<c>{"checkpoint_id": ...}</c> or a UUID) only older states are returned than, or null.</summary>
    [JsonPropertyName("before")]
    public JsonNode? Before { get; init; }

    /// <summary>Gets the one checkpoint whose state to return, or null for all.</summary>
    [JsonPropertyName("checkpoint")]
    public JsonNode? Checkpoint { get; init; }

    /// <summary>Gets the metadata a checkpoint's must contain, or null.</summary>
    [JsonPropertyName("metadata")]
    public JsonObject? Metadata { get; init; }

    /// <summary>The 422 detail of a bad <c>limit</c>.</summary>
    public const string LimitError = "limit must be an integer between 1 and 1000.";
}
