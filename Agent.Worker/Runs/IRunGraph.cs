using System.Text.Json.Nodes;
using Agent.Worker.Agent;
using Agent.Worker.Budgets;

namespace Agent.Worker.Runs;

/// <summary>
/// The seam between the step loop and the graph a run executes: the loop asks which node runs next, runs it, and
/// commits what it returned as one durable step. The loop knows nothing of a particular graph; the built-in one is
/// <see cref="RetrievalAgentGraph"/> (model node + tools node). A graph model with nodes, edges and reducers replaces
/// it behind this interface.
/// </summary>
internal interface IRunGraph
{
    /// <summary>Chooses the node to run next from the state.</summary>
    /// <param name="state">The run's state.</param>
    /// <returns>A node name, or <see cref="AgentNode.End"/> when the run is done.</returns>
    string NextNode(RunState state);

    /// <summary>Runs one node. It must not write anything durable: the loop commits its result as the step.</summary>
    /// <param name="node">The node, as <see cref="NextNode"/> chose it.</param>
    /// <param name="state">The run's state.</param>
    /// <param name="cancellationToken">The run's token (cancel, deadline, shutdown, lost lease).</param>
    /// <returns>The step's result, or a stop.</returns>
    Task<NodeResult> RunNodeAsync(string node, RunState state, CancellationToken cancellationToken);
}

/// <summary>What one node execution produced.</summary>
/// <param name="Delta">The messages the step adds (LangChain form), or null when the node stopped before doing anything.</param>
/// <param name="ModelStep">The model call the step made (tokens, latency, model), or null.</param>
/// <param name="ToolCalls">The tool calls the step made (name, arguments, result, latency), or null.</param>
/// <param name="Stop">A budget stop: before the step when <paramref name="Delta"/> is null.</param>
internal sealed record NodeResult(JsonArray? Delta, ModelStep? ModelStep = null, JsonArray? ToolCalls = null, BudgetViolation? Stop = null)
{
    /// <summary>A stop before the node ran (nothing to commit).</summary>
    /// <param name="violation">The budget rule that stopped it.</param>
    /// <returns>The result.</returns>
    public static NodeResult Stopped(BudgetViolation violation) => new(null, Stop: violation);
}
