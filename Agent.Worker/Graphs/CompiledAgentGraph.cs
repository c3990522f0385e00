using System.Text.Json.Nodes;

namespace Agent.Worker.Graphs;

/// <summary>
/// A declared graph, checked and frozen (<see cref="AgentGraphBuilder"/>): routing from the last node that ran, and the
/// channels' reducers. Shared by every run of the graph; it holds no run state.
/// </summary>
/// <param name="Name">The graph id.</param>
/// <param name="RecursionLimit">The graph's step cap, or null.</param>
/// <param name="Nodes">The nodes by name.</param>
/// <param name="Channels">The declared channels (other than <c>messages</c>) and their reducers (null: last value).</param>
/// <param name="Edges">Each node's outgoing edge, <c>__start__</c>'s included.</param>
/// <param name="DefaultCollections">The document collections runs read when their config names none.</param>
internal sealed record CompiledAgentGraph(
    string Name,
    int? RecursionLimit,
    Dictionary<string, Func<AgentGraphState, AgentNodeContext, Task<AgentStateUpdate>>> Nodes,
    Dictionary<string, Func<JsonNode?, JsonNode?, JsonNode?>?> Channels,
    Dictionary<string, AgentGraphEdge> Edges,
    IReadOnlyList<string> DefaultCollections)
{
    /// <summary>Gets the nodes that run a subgraph, with the graph id each runs (<see cref="AgentGraphBuilder.AddSubgraph"/>). Default: none.</summary>
    public IReadOnlyDictionary<string, string> Subgraphs { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Chooses the node after <paramref name="lastNode"/>.</summary>
    /// <param name="lastNode">The node whose step was committed last (<c>__start__</c> for the input).</param>
    /// <param name="state">The state after that step.</param>
    /// <returns>A node name, or <see cref="AgentGraph.End"/>.</returns>
    /// <exception cref="InvalidOperationException">A route returned a name that is neither a node nor <c>__end__</c>.</exception>
    public string NextNode(string lastNode, AgentGraphState state)
    {
        if (!Edges.TryGetValue(lastNode, out var edge))
        {
            return AgentGraph.End;
        }

        var next = edge.To ?? edge.Route!(state);
        return next == AgentGraph.End || Nodes.ContainsKey(next)
            ? next
            : throw new InvalidOperationException($"Graph '{Name}': the route after '{lastNode}' chose unknown node '{next}'.");
    }

    /// <summary>Reduces a node's channel writes into the values the step commits (each channel's new value).</summary>
    /// <param name="current">The channels' values before the step.</param>
    /// <param name="writes">The node's writes.</param>
    /// <returns>The new values of the channels written, or null when none was.</returns>
    /// <exception cref="InvalidOperationException">A write names a channel the graph did not declare.</exception>
    public JsonObject? Reduce(JsonObject current, IReadOnlyDictionary<string, JsonNode?> writes)
    {
        if (writes.Count == 0)
        {
            return null;
        }

        var values = new JsonObject();
        foreach (var (channel, write) in writes)
        {
            if (!Channels.TryGetValue(channel, out var reducer))
            {
                throw new InvalidOperationException(
                    $"Graph '{Name}': a node wrote channel '{channel}', which the graph does not declare (AddChannel).");
            }

            values[channel] = reducer is null ? write?.DeepClone() : reducer(current[channel]?.DeepClone(), write?.DeepClone());
        }

        return values;
    }
}
