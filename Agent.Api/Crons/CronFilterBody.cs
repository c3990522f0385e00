using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Crons;

/// <summary>
/// The filters of <c>POST /runs/crons/search</c> and <c>/count</c> as they come over the wire (LangGraph
/// <c>CronSearch</c> / <c>CronCountRequest</c>, reference section 7.1); the paging fields are a <see cref="SearchBody"/>'s.
/// </summary>
internal sealed record CronFilterBody
{
    /// <summary>Gets the assistant (an id or a graph name) whose crons to keep, or null for any.</summary>
    [JsonPropertyName("assistant_id")]
    public string? AssistantId { get; init; }

    /// <summary>Gets the thread (a UUID as text) whose crons to keep, or null for any.</summary>
    [JsonPropertyName("thread_id")]
    [WireError("thread_id must be a UUID.")]
    public string? ThreadId { get; init; }

    /// <summary>Gets whether to keep only enabled (or only disabled) crons, or null for both.</summary>
    [JsonPropertyName("enabled")]
    public bool? Enabled { get; init; }
}
