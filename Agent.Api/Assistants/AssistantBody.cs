using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Assistants;

/// <summary>
/// The fields an assistant create or patch body sets, as they come over the wire (LangGraph <c>AssistantPatch</c>,
/// reference section 2.1; <see cref="AssistantCreate"/> adds the create's own). Each is null when the body leaves it out;
/// <see cref="AssistantFields"/> validates the values.
/// </summary>
internal record AssistantBody
{
    /// <summary>Gets the graph the assistant runs (required on create), or null to keep it.</summary>
    [JsonPropertyName("graph_id")]
    public string? GraphId { get; init; }

    /// <summary>Gets the config (<see cref="AssistantConfigBody"/>, validated by <see cref="AssistantConfig"/>); an explicit null means <c>{}</c>.</summary>
    [JsonPropertyName("config")]
    public JsonNode? Config { get; init; }

    /// <summary>Gets the context object, or null to keep it.</summary>
    [JsonPropertyName("context")]
    public JsonObject? Context { get; init; }

    /// <summary>Gets the metadata (merged into the stored metadata on patch), or null.</summary>
    [JsonPropertyName("metadata")]
    public JsonObject? Metadata { get; init; }

    /// <summary>Gets the name (1 to 200 characters), or null to keep it (<c>Untitled</c> on create).</summary>
    [JsonPropertyName("name")]
    [WireError(AssistantFields.NameError)]
    public string? Name { get; init; }

    /// <summary>Gets the description; an explicit null clears it on patch.</summary>
    [JsonPropertyName("description")]
    public string? Description { get; init; }
}
