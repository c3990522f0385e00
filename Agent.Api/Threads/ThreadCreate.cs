using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Threads;

/// <summary>The body of <c>POST /threads</c> as it comes over the wire (LangGraph <c>ThreadCreate</c>, reference section 2.1).</summary>
internal sealed record ThreadCreate
{
    /// <summary>Gets the thread's id (a UUID as text), or null for a new UUID v7.</summary>
    [JsonPropertyName("thread_id")]
    [WireError("thread_id must be a UUID, got '{1}'.")]
    public string? ThreadId { get; init; }

    /// <summary>Gets the thread's metadata, or null for <c>{}</c>.</summary>
    [JsonPropertyName("metadata")]
    public JsonObject? Metadata { get; init; }

    /// <summary>Gets <c>ttl</c>: <c>{"ttl": minutes, "strategy": "delete"}</c> or minutes (<see cref="ThreadTtl"/>), or null.</summary>
    [JsonPropertyName("ttl")]
    public JsonNode? Ttl { get; init; }

    /// <summary>Gets the supersteps to write as the thread's first checkpoints (<see cref="StateUpdateRequest.ReadSupersteps"/>), or null.</summary>
    [JsonPropertyName("supersteps")]
    public JsonNode? Supersteps { get; init; }

    /// <summary>Gets what an existing id does, or null for <see cref="OnConflictBehavior.Raise"/>.</summary>
    [JsonPropertyName("if_exists")]
    [WireError("if_exists must be 'raise' or 'do_nothing'.")]
    public OnConflictBehavior? IfExists { get; init; }
}
