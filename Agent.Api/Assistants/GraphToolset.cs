using System.Text.Json;
using Agent.Persistence.Assistants;
using Agent.Persistence.Graphs;

namespace Agent.Api.Assistants;

/// <summary>
/// What an assistant's <c>config.configurable</c> may name for a graph: the tools its models can be offered and the
/// MCP servers the operator configured, as the last worker to publish the graph said (<c>agent.graphs</c>). Before any
/// worker published (or for a row published before workers said their tools), the built-in tools
/// (<see cref="SystemAssistants.AgentTools"/>) and no MCP server.
/// </summary>
/// <param name="Tools">The tool names.</param>
/// <param name="McpServers">The MCP server names.</param>
internal sealed record GraphToolset(IReadOnlyList<string> Tools, IReadOnlyList<string> McpServers)
{
    /// <summary>Gets the toolset known without a published graph: the built-in tools, no MCP server.</summary>
    public static GraphToolset BuiltIn { get; } = new(SystemAssistants.AgentTools, []);

    /// <summary>Reads a graph's toolset from its catalogue row.</summary>
    /// <param name="deployed">The row, or null when no worker published the graph.</param>
    /// <returns>The toolset.</returns>
    public static GraphToolset From(DeployedGraph? deployed)
    {
        var tools = deployed is null ? [] : JsonSerializer.Deserialize<string[]>(deployed.Tools) ?? [];
        var servers = deployed is null ? [] : JsonSerializer.Deserialize<string[]>(deployed.McpServers) ?? [];
        return tools.Length == 0 ? BuiltIn with { McpServers = servers } : new GraphToolset(tools, servers);
    }

    /// <summary>Reads the toolset of a graph by id.</summary>
    /// <param name="graphs">The catalogue.</param>
    /// <param name="graphId">The graph id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The toolset.</returns>
    public static async Task<GraphToolset> FindAsync(DeployedGraphStore graphs, string graphId, CancellationToken cancellationToken) =>
        From(await graphs.FindAsync(graphId, cancellationToken));
}
