using System.Text.Json.Nodes;

namespace Agent.Api.Assistants;

/// <summary>
/// The validated fields of an assistant that a create or patch body sets (LangGraph <c>AssistantCreate</c> /
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
    /// <summary>The 422 detail of a name that is not a string of 1 to 200 characters.</summary>
    public const string NameError = "name must be a string of 1 to 200 characters.";

    /// <summary>Validates the fields of a create or patch body, their types already checked.</summary>
    /// <param name="wire">The body.</param>
    /// <param name="configGiven">Whether the body has <c>config</c> (an explicit null means <c>{}</c>).</param>
    /// <param name="toolset">The tools and MCP servers of the assistant's graph, which its config may name.</param>
    /// <returns>The fields (each null when absent), or a 422 detail naming the field at fault.</returns>
    public static (AssistantFields Fields, string? Error) Validate(AssistantBody wire, bool configGiven, GraphToolset toolset)
    {
        var (config, configError) = configGiven ? AssistantConfig.Validate(wire.Config, toolset) : (null, null);
        if (configError is not null)
        {
            return (default, configError);
        }

        return wire.Name is { Length: 0 or > 200 }
            ? (default, NameError)
            : (new AssistantFields(wire.Name, wire.Description, config, wire.Context, wire.Metadata), null);
    }
}
