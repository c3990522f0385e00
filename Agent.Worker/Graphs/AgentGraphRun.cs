using System.Text.Json.Nodes;
using Agent.Worker.Runs;

namespace Agent.Worker.Graphs;

/// <summary>
/// A declared graph behind the step loop's seam (<see cref="IRunGraph"/>) for one run: routes from the last committed
/// node, runs a node with its <see cref="AgentNodeContext"/>, and turns its <see cref="AgentStateUpdate"/> into the
/// step's result (messages with ids, reduced channel values, the model call and tool calls it made).
/// </summary>
/// <param name="graph">The graph.</param>
/// <param name="services">The run scope's node services.</param>
/// <param name="find">Finds a registered graph by id, for the subgraphs the graph's nodes run.</param>
internal sealed class AgentGraphRun(CompiledAgentGraph graph, AgentNodeServices services, Func<string, IRunGraph?> find) : IRunGraph
{
    /// <inheritdoc />
    public IRunGraph? Subgraph(string node) => graph.Subgraphs.TryGetValue(node, out var graphId) ? find(graphId) : null;

    /// <inheritdoc />
    public bool HasChannel(string channel) => channel == AgentGraph.Messages || graph.Channels.ContainsKey(channel);

    /// <inheritdoc />
    public string Name => graph.Name;

    /// <inheritdoc />
    public int? RecursionLimit => graph.RecursionLimit;

    /// <inheritdoc />
    public string NextNode(RunState state) => graph.NextNode(state.LastNode, View(state));

    /// <inheritdoc />
    public JsonObject? InputValues(JsonObject input, JsonObject current) =>
        graph.Reduce(current, input.Where(p => graph.Channels.ContainsKey(p.Key)).ToDictionary(p => p.Key, p => p.Value));

    /// <inheritdoc />
    public async Task<NodeResult> RunNodeAsync(string node, RunState state, CancellationToken cancellationToken)
    {
        var context = new AgentNodeContext(services, state, node, graph.DefaultCollections, cancellationToken);
        AgentStateUpdate update;
        try
        {
            update = await graph.Nodes[node](View(state), context);
        }
        catch (AgentNodeStop stop) when (stop.Violation is not null)
        {
            return NodeResult.Stopped(stop.Violation);
        }
        catch (Interrupts.NodeInterruptException interrupt) when (interrupt.Interrupts.Count > 0)
        {
            return NodeResult.Paused(interrupt.Interrupts);
        }

        var delta = new JsonArray();
        foreach (var message in update.Messages)
        {
            var copy = message?.DeepClone();
            if (copy is JsonObject written && written["id"] is not JsonValue)
            {
                // add_messages gives id-less messages an id; this one is stable across retries of the step.
                written["id"] = $"run-{state.Progress.RunId:N}-{state.Progress.StepKey}-m{delta.Count}";
            }

            delta.Add(copy);
        }

        return new NodeResult(delta, context.ModelStep, context.ToolCalls, Values: graph.Reduce(state.Values, update.Values));
    }

    private static AgentGraphState View(RunState state) => new(state.Messages, state.Values);
}
