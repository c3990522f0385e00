using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Http;
using Agent.Persistence.Threads;

namespace Agent.Api.Threads;

/// <summary>
/// The filters of <c>POST /threads/count</c> and <c>POST /threads/search</c> as they come over the wire (LangGraph
/// <c>ThreadCountRequest</c> / <c>ThreadSearchRequest</c>, reference section 2.1); <see cref="ThreadFilters"/> validates
/// the values.
/// </summary>
internal record ThreadFilterBody
{
    /// <summary>Gets the metadata a thread's must contain, or null.</summary>
    [JsonPropertyName("metadata")]
    public JsonObject? Metadata { get; init; }

    /// <summary>Gets the values filter: only an empty object is accepted (state lives in checkpoints, not in the row).</summary>
    [JsonPropertyName("values")]
    public JsonNode? Values { get; init; }

    /// <summary>Gets the status a thread must have, or null for any.</summary>
    [JsonPropertyName("status")]
    [WireError("status must be one of {0}.")]
    public AgentThreadStatus? Status { get; init; }

    /// <summary>Gets the thread ids (UUIDs as text) to keep, or null for any.</summary>
    [JsonPropertyName("ids")]
    public IReadOnlyList<string>? Ids { get; init; }
}
