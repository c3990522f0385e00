using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Assistants;

namespace Agent.Api.Assistants;

/// <summary>
/// Writes assistants as the LangGraph Server's <c>Assistant</c> object: <c>{assistant_id, graph_id, config, context,
/// metadata, name, description, version, created_at, updated_at}</c> (reference section 2.1).
/// </summary>
internal static class AssistantJson
{
    /// <summary>The fields of an assistant, for <c>select</c>.</summary>
    public static readonly string[] Fields =
        ["assistant_id", "graph_id", "config", "context", "metadata", "name", "description", "version", "created_at", "updated_at"];

    /// <summary>Builds the object of an assistant (an <see cref="AssistantResource"/>).</summary>
    /// <param name="assistant">The assistant.</param>
    /// <returns>The object.</returns>
    public static JsonObject From(Assistant assistant) => ApiJsonContext.ToObject(
        new AssistantResource(
            assistant.AssistantId, assistant.GraphId, JsonNode.Parse(assistant.Config), JsonNode.Parse(assistant.Context),
            JsonNode.Parse(assistant.Metadata), assistant.Name, assistant.Description, assistant.Version, assistant.CreatedAt, assistant.UpdatedAt),
        AssistantsJsonContext.Default.AssistantResource);

    /// <summary>Builds the object of one version (an <see cref="AssistantVersionResource"/>).</summary>
    /// <param name="version">The version.</param>
    /// <returns>The object.</returns>
    public static JsonObject From(AssistantVersion version) => ApiJsonContext.ToObject(
        new AssistantVersionResource(
            version.AssistantId, version.GraphId, JsonNode.Parse(version.Config), JsonNode.Parse(version.Context),
            JsonNode.Parse(version.Metadata), version.Name, version.Description, version.Version, version.CreatedAt),
        AssistantsJsonContext.Default.AssistantVersionResource);
}
