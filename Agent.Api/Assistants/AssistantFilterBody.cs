using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Agent.Api.Assistants;

/// <summary>
/// The filters of <c>POST /assistants/search</c>, <c>/count</c> and <c>/{id}/versions</c> as they come over the wire
/// (LangGraph <c>AssistantSearchRequest</c> / <c>AssistantCountRequest</c> / <c>AssistantVersionsSearchRequest</c>,
/// reference section 2.1); the paging fields are a <see cref="Http.SearchBody"/>'s.
/// </summary>
internal sealed record AssistantFilterBody
{
    /// <summary>Gets the metadata an assistant's must contain, or null.</summary>
    [JsonPropertyName("metadata")]
    public JsonObject? Metadata { get; init; }

    /// <summary>Gets the graph whose assistants to keep, or null for any.</summary>
    [JsonPropertyName("graph_id")]
    public string? GraphId { get; init; }

    /// <summary>Gets the name to match, or null for any.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; init; }
}
