using Agent.Worker.Runs;

namespace Agent.Worker.Graphs;

/// <summary>
/// Finds the graph a run executes by its assistant's <c>graph_id</c> among the graphs this worker registered
/// (<c>AddAgentGraph</c>; a later registration of a name replaces an earlier one).
/// </summary>
/// <param name="graphs">The registered graphs.</param>
/// <param name="services">The run scope's node services.</param>
internal sealed class RunGraphs(IEnumerable<CompiledAgentGraph> graphs, AgentNodeServices services) : IRunGraphs
{
    private readonly Dictionary<string, CompiledAgentGraph> byName =
        graphs.GroupBy(g => g.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

    /// <summary>Gets the registered graph ids, sorted.</summary>
    public IReadOnlyList<string> Names => [.. byName.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Finds a graph.</summary>
    /// <param name="graphId">The graph id.</param>
    /// <returns>The graph for one run, or null when this worker does not have it.</returns>
    public IRunGraph? Find(string graphId) => byName.TryGetValue(graphId, out var graph) ? new AgentGraphRun(graph, services, Find) : null;
}
