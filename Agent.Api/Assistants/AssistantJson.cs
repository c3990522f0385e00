using System.Text.Json.Nodes;
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

    /// <summary>Builds the object of an assistant.</summary>
    /// <param name="assistant">The assistant.</param>
    /// <returns>The object.</returns>
    public static JsonObject From(Assistant assistant) => new()
    {
        ["assistant_id"] = assistant.AssistantId.ToString(),
        ["graph_id"] = assistant.GraphId,
        ["config"] = JsonNode.Parse(assistant.Config),
        ["context"] = JsonNode.Parse(assistant.Context),
        ["metadata"] = JsonNode.Parse(assistant.Metadata),
        ["name"] = assistant.Name,
        ["description"] = assistant.Description,
        ["version"] = assistant.Version,
        ["created_at"] = assistant.CreatedAt,
        ["updated_at"] = assistant.UpdatedAt,
    };

    /// <summary>Builds the object of one version (<c>AssistantVersion</c>: the assistant's fields as of that version).</summary>
    /// <param name="version">The version.</param>
    /// <returns>The object.</returns>
    public static JsonObject From(AssistantVersion version) => new()
    {
        ["assistant_id"] = version.AssistantId.ToString(),
        ["graph_id"] = version.GraphId,
        ["config"] = JsonNode.Parse(version.Config),
        ["context"] = JsonNode.Parse(version.Context),
        ["metadata"] = JsonNode.Parse(version.Metadata),
        ["name"] = version.Name,
        ["description"] = version.Description,
        ["version"] = version.Version,
        ["created_at"] = version.CreatedAt,
    };
}
