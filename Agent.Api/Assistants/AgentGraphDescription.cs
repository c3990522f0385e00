using System.Text.Json.Nodes;

namespace Agent.Api.Assistants;

/// <summary>
/// Describes graphs for <c>GET /assistants/{id}/graph</c> and <c>/schemas</c>: the drawing of the built-in retrieval
/// agent (LangGraph's prebuilt ReAct shape, <c>__start__ → agent ⇄ tools</c>, <c>agent → __end__</c>) served until a
/// worker publishes the graphs it runs (<c>agent.graphs</c>), and the schemas of a state of <c>messages</c> plus the
/// graph's other channels.
/// </summary>
internal static class AgentGraphDescription
{
    /// <summary>Builds the drawable graph (<c>{nodes: [{id, name, data, metadata}], edges: [{source, target, conditional}]}</c>).</summary>
    /// <returns>The graph.</returns>
    public static JsonObject Graph() => new()
    {
        ["nodes"] = new JsonArray(Node("__start__"), Node("agent"), Node("tools"), Node("__end__")),
        ["edges"] = new JsonArray(
            Edge("__start__", "agent", conditional: false),
            Edge("agent", "tools", conditional: true),
            Edge("agent", "__end__", conditional: true),
            Edge("tools", "agent", conditional: false)),
    };

    /// <summary>
    /// Builds <c>GraphSchema</c>: <c>{graph_id, input_schema, output_schema, state_schema, config_schema, context_schema}</c>
    /// as JSON Schema.
    /// </summary>
    /// <param name="graphId">The graph id.</param>
    /// <param name="channels">The graph's channels besides <c>messages</c> (any JSON value each).</param>
    /// <param name="toolset">The tools and MCP servers the graph's config may name.</param>
    /// <returns>The schemas.</returns>
    public static JsonObject Schemas(string graphId, IReadOnlyList<string> channels, GraphToolset toolset) => new()
    {
        ["graph_id"] = graphId,
        ["input_schema"] = StateSchema("InputState", channels),
        ["output_schema"] = StateSchema("OutputState", channels),
        ["state_schema"] = StateSchema("State", channels),
        ["config_schema"] = new JsonObject
        {
            ["title"] = "Configurable",
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["model"] = new JsonObject { ["type"] = "string", ["description"] = "The model to call; default: the worker's AGENT_MODEL." },
                ["system_prompt"] = new JsonObject { ["type"] = "string", ["description"] = "The system prompt." },
                ["tools"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string", ["enum"] = Names(toolset.Tools) },
                    ["description"] = "The tools offered to the model; default: all.",
                },
                ["mcp_servers"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string", ["enum"] = Names(toolset.McpServers) },
                    ["description"] = "The MCP servers whose tools are offered to the model; default: all configured.",
                },
                ["collections"] = new JsonObject
                {
                    ["type"] = "array",
                    ["items"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z0-9][a-z0-9._-]{0,63}$" },
                    ["description"] = "The document collections search_documents and read_document read; default: the graph's (postgresql-15 for agent).",
                },
            },
        },
        ["context_schema"] = new JsonObject { ["title"] = "Context", ["type"] = "object", ["properties"] = new JsonObject() },
    };

    private static JsonArray Names(IReadOnlyList<string> names) => new(names.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray());

    private static JsonObject StateSchema(string title, IReadOnlyList<string> channels)
    {
        var properties = new JsonObject
        {
            ["messages"] = new JsonObject
            {
                ["title"] = "Messages",
                ["type"] = "array",
                ["items"] = new JsonObject { ["type"] = "object", ["description"] = "A LangChain message: type, content, id, tool_calls ..." },
            },
        };
        foreach (var channel in channels)
        {
            properties[channel] = new JsonObject { ["title"] = channel, ["description"] = "A channel of the graph (any JSON value)." };
        }

        return new JsonObject { ["title"] = title, ["type"] = "object", ["properties"] = properties, ["required"] = new JsonArray("messages") };
    }

    private static JsonObject Node(string id) => new()
    {
        ["id"] = id,
        ["name"] = id,
        ["type"] = id.StartsWith("__", StringComparison.Ordinal) ? "schema" : "runnable",
        ["data"] = id,
        ["metadata"] = new JsonObject(),
    };

    private static JsonObject Edge(string source, string target, bool conditional) => new()
    {
        ["source"] = source,
        ["target"] = target,
        ["conditional"] = conditional,
    };
}
