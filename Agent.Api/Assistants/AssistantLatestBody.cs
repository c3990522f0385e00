using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Assistants;

/// <summary>The body of <c>POST /assistants/{id}/latest</c> as it comes over the wire: <c>{"version": n}</c> (reference section 2.1).</summary>
internal sealed record AssistantLatestBody
{
    /// <summary>Gets the version to make current.</summary>
    [JsonPropertyName("version")]
    [WireError("version must be an integer.")]
    public required int Version { get; init; }
}
