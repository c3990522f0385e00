using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Threads;

/// <summary>The body of <c>PATCH /threads/{thread_id}</c> as it comes over the wire (LangGraph <c>ThreadPatch</c>, reference section 2.1).</summary>
internal sealed record ThreadPatch
{
    /// <summary>Gets the metadata merged into the thread's, or null to leave it.</summary>
    [JsonPropertyName("metadata")]
    public JsonObject? Metadata { get; init; }

    /// <summary>Gets <c>ttl</c>: <c>{"ttl": minutes, "strategy": "delete"}</c> or minutes (<see cref="ThreadTtl"/>), or null.</summary>
    [JsonPropertyName("ttl")]
    public JsonNode? Ttl { get; init; }
}

/// <summary>
/// The body of <c>PATCH /threads/{thread_id}/state</c> (LangGraph <c>ThreadStatePatch</c>, the SDK's
/// <c>threads.patchState</c>): metadata merged into the thread's latest checkpoint.
/// </summary>
internal sealed record ThreadStatePatch
{
    /// <summary>Gets the metadata merged into the latest checkpoint's (required).</summary>
    [JsonPropertyName("metadata")]
    [WireError("metadata is required: an object merged into the latest checkpoint's metadata.")]
    public required JsonObject Metadata { get; init; }
}
