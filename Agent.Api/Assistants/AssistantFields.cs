using System.Text.Json.Nodes;
using Agent.Api.Http;

namespace Agent.Api.Assistants;

/// <summary>
/// The fields of an assistant that a create or patch body sets (LangGraph <c>AssistantCreate</c> /
/// <c>AssistantPatch</c>, reference section 2.1); each is null when the body leaves it out.
/// </summary>
/// <param name="Name">The name (1 to 200 characters).</param>
/// <param name="Description">The description.</param>
/// <param name="Config">The validated config (see <see cref="AssistantConfig"/>).</param>
/// <param name="Context">The context object.</param>
/// <param name="Metadata">The metadata object.</param>
internal readonly record struct AssistantFields(
    string? Name, string? Description, JsonObject? Config, JsonObject? Context, JsonObject? Metadata)
{
    /// <summary>Reads the fields from a create or patch body.</summary>
    /// <param name="body">The body.</param>
    /// <param name="toolset">The tools and MCP servers of the assistant's graph, which its config may name.</param>
    /// <returns>The fields (each null when absent), or a 422 detail naming the field at fault.</returns>
    public static (AssistantFields Fields, string? Error) Read(JsonObject body, GraphToolset toolset)
    {
        var (config, configError) = body.ContainsKey("config") ? AssistantConfig.Validate(body["config"], toolset) : (null, null);
        var (context, contextError) = ApiRequest.OptionalObject(body, "context");
        var (metadata, metadataError) = ApiRequest.OptionalObject(body, "metadata");
        var error = configError ?? contextError ?? metadataError;
        if (error is not null)
        {
            return (default, error);
        }

        if (body["name"] is { } nameNode && (nameNode is not JsonValue nv || !nv.TryGetValue<string>(out var n) || n.Length is 0 or > 200))
        {
            return (default, "name must be a string of 1 to 200 characters.");
        }

        if (body["description"] is { } descriptionNode && (descriptionNode is not JsonValue dv || !dv.TryGetValue<string>(out _)))
        {
            return (default, "description must be a string.");
        }

        return (new AssistantFields(
            ApiRequest.Text(body, "name"),
            ApiRequest.Text(body, "description"),
            config,
            (JsonObject?)context?.DeepClone(),
            (JsonObject?)metadata?.DeepClone()), null);
    }
}
