using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Threads;

/// <summary>
/// The filters of <c>POST /threads/search</c> (LangGraph <c>ThreadSearchRequest</c>): those of a count, and
/// <c>extract</c>, which is refused. Its paging fields are a <see cref="SearchBody"/>'s.
/// </summary>
internal sealed record ThreadSearchBody : ThreadFilterBody
{
    /// <summary>Gets <c>extract</c> (state paths to return): refused.</summary>
    [JsonPropertyName("extract")]
    [WireUnsupported("extract is not supported by this server.")]
    public JsonNode? Extract { get; init; }
}
