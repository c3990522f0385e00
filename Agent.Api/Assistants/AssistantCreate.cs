using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Assistants;

/// <summary>The body of <c>POST /assistants</c> as it comes over the wire (LangGraph <c>AssistantCreate</c>, reference section 2.1).</summary>
internal sealed record AssistantCreate : AssistantBody
{
    /// <summary>Gets the assistant's id (a UUID as text), or null for a new UUID v7.</summary>
    [JsonPropertyName("assistant_id")]
    [WireError("assistant_id must be a UUID, got '{1}'.")]
    public string? AssistantId { get; init; }

    /// <summary>Gets what an existing id does, or null for <see cref="OnConflictBehavior.Raise"/>.</summary>
    [JsonPropertyName("if_exists")]
    [WireError("if_exists must be 'raise' or 'do_nothing'.")]
    public OnConflictBehavior? IfExists { get; init; }
}
