using System.Text.Json.Nodes;
using Agent.Worker.Budgets;

namespace Agent.Worker.Runs;

/// <summary>
/// The seam between the step loop and the graph a run executes: the loop asks which node runs next, runs it, and
/// commits what it returned as one durable step. The loop knows nothing of a particular graph: every graph, the
/// built-in <c>agent</c> (<c>RetrievalAgentGraph</c>) included, is declared with <c>AgentGraphBuilder</c>
/// and reaches the loop as an <c>AgentGraphRun</c> (<c>RunGraphs</c> finds it by <c>graph_id</c>).
/// </summary>
internal interface IRunGraph
{
    /// <summary>Gets the graph id.</summary>
    string Name { get; }

    /// <summary>Gets the graph's cap on node steps, or null for the run's <c>recursion_limit</c> alone.</summary>
    int? RecursionLimit { get; }

    /// <summary>Chooses the node to run next from the state (after <see cref="RunState.LastNode"/>).</summary>
    /// <param name="state">The run's state.</param>
    /// <returns>A node name, or <see cref="ReservedNodes.End"/> when the run is done.</returns>
    string NextNode(RunState state);

    /// <summary>Reduces the channel values of a run's input (its keys other than <c>messages</c> that are channels).</summary>
    /// <param name="input">The run's <c>input</c> object.</param>
    /// <param name="current">The channels' values before the run.</param>
    /// <returns>The new values, or null when the input writes none.</returns>
    JsonObject? InputValues(JsonObject input, JsonObject current);

    /// <summary>Finds the subgraph a node runs (<c>AddSubgraph</c>).</summary>
    /// <param name="node">The node.</param>
    /// <returns>The subgraph for this run, or null when the node is an ordinary one (or its graph is not registered).</returns>
    IRunGraph? Subgraph(string node);

    /// <summary>Tells whether the graph declares a channel (<c>messages</c> is always one).</summary>
    /// <param name="channel">The channel name.</param>
    /// <returns>True when declared.</returns>
    bool HasChannel(string channel);

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
/// <param name="Values">The new values of the channels (other than <c>messages</c>) the step wrote, or null.</param>
/// <param name="Pause">The interrupts the node raised instead of finishing (<see cref="Delta"/> is null then), or null.</param>
internal sealed record NodeResult(
    JsonArray? Delta, ModelStep? ModelStep = null, JsonArray? ToolCalls = null, BudgetViolation? Stop = null, JsonObject? Values = null,
    IReadOnlyList<Persistence.Checkpoints.PendingInterrupt>? Pause = null)
{
    /// <summary>A node that raised an interrupt (nothing to commit; the run pauses).</summary>
    /// <param name="interrupts">The interrupts of the pause.</param>
    /// <returns>The result.</returns>
    public static NodeResult Paused(IReadOnlyList<Persistence.Checkpoints.PendingInterrupt> interrupts) => new(null, Pause: interrupts);

    /// <summary>A stop before the node ran (nothing to commit).</summary>
    /// <param name="violation">The budget rule that stopped it.</param>
    /// <returns>The result.</returns>
    public static NodeResult Stopped(BudgetViolation violation) => new(null, Stop: violation);
}
