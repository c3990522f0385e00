using System.Text.Json.Nodes;
using Agent.Persistence.Graphs;

namespace Agent.Worker.Graphs;

/// <summary>
/// Draws a compiled graph in LangGraph's JSON shape (<c>GET /assistants/{id}/graph</c>):
/// <c>{"nodes": [{"id", "name", "type", "data", "metadata"}], "edges": [{"source", "target", "conditional"}]}</c>,
/// nodes as declared between <c>__start__</c> and <c>__end__</c>, a conditional edge drawn once per destination (every
/// node and <c>__end__</c> when the declaration names none).
/// </summary>
internal static class AgentGraphDescriber
{
    /// <summary>Describes a graph for the catalogue.</summary>
    /// <param name="graph">The graph.</param>
    /// <returns>The row to publish.</returns>
    public static DeployedGraph Describe(CompiledAgentGraph graph)
    {
        var nodes = new JsonArray { Node(AgentGraph.Start, "schema") };
        foreach (var name in graph.Nodes.Keys)
        {
            nodes.Add(Node(name, "runnable"));
        }

        nodes.Add(Node(AgentGraph.End, "schema"));
        var edges = new JsonArray();
        foreach (var (from, edge) in graph.Edges)
        {
            var conditional = edge.Route is not null;
            foreach (var to in edge.Destinations ?? [.. graph.Nodes.Keys, AgentGraph.End])
            {
                edges.Add(new JsonObject { ["source"] = from, ["target"] = to, ["conditional"] = conditional });
            }
        }

        return new DeployedGraph
        {
            GraphId = graph.Name,
            Graph = new JsonObject { ["nodes"] = nodes, ["edges"] = edges }.ToJsonString(),
            Channels = new JsonArray([.. graph.Channels.Keys.Select(c => (JsonNode?)JsonValue.Create(c))]).ToJsonString(),
            Subgraphs = new JsonObject(graph.Subgraphs.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)JsonValue.Create(s.Value)))).ToJsonString(),
        };
    }

    private static JsonObject Node(string id, string type) => new()
    {
        ["id"] = id,
        ["name"] = id,
        ["type"] = type,
        ["data"] = id,
        ["metadata"] = new JsonObject(),
    };
}
