using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Http;

namespace Agent.Api.Assistants;

/// <summary>
/// An assistant's <c>config</c> as it comes over the wire (LangGraph <c>Config</c>, reference section 2.1): the keys its
/// runs use and nothing else, so any other key is a 422 (<see cref="WireClosedAttribute"/>). <see cref="AssistantConfig"/>
/// validates the values.
/// </summary>
[WireClosed("config.{0} is not supported; config takes {1}.")]
internal sealed record AssistantConfigBody
{
    /// <summary>Gets the step budget of the assistant's runs unless a run sets its own (1 to 1,000), or null for 25.</summary>
    [JsonPropertyName("recursion_limit")]
    [WireError(AssistantConfig.RecursionLimitError, NullIsError = true)]
    public int? RecursionLimit { get; init; }

    /// <summary>Gets the tags, stored for the client, or null.</summary>
    [JsonPropertyName("tags")]
    [WireError("config.tags must be a list of strings.")]
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Gets <c>configurable</c>: <c>model</c>, <c>system_prompt</c>, <c>tools</c>, <c>mcp_servers</c>, <c>collections</c> and the client's own keys.</summary>
    [JsonPropertyName("configurable")]
    [WireError("config.configurable must be an object.")]
    public JsonObject? Configurable { get; init; }
}
