using Agent.Persistence.Documents;
using Agent.Worker.Graphs;

namespace Agent.Worker.Agent;

/// <summary>
/// Declares the built-in graph <c>agent</c> with the public graph API, as LangGraph's prebuilt ReAct agent is drawn: a
/// model node (<see cref="AgentNode.Agent"/>: one model call offered the run's tools, with
/// <see cref="RetrievalAgent.DefaultSystemPrompt"/> unless the assistant sets <c>system_prompt</c>) and the prebuilt
/// tool node (<see cref="AgentNode.Tools"/>), joined by <see cref="AgentGraph.ToolsCondition"/>; its runs read the
/// collection <c>postgresql-15</c> (the manual) unless their config names others.
/// </summary>
/// <remarks>
/// <c>__start__</c> routes from the thread's last message (<see cref="RetrievalAgent.NextNode"/>), so a run without
/// input continues the thread where it stands: it answers pending tool calls first, and ends at once after an answer.
/// </remarks>
internal static class RetrievalAgentGraph
{
    /// <summary>The model request of the <c>agent</c> node.</summary>
    private static readonly AgentModelRequest ModelRequest = new() { SystemPrompt = RetrievalAgent.DefaultSystemPrompt };

    /// <summary>Declares the graph.</summary>
    /// <param name="graph">The builder of the graph <c>agent</c>.</param>
    public static void Declare(AgentGraphBuilder graph)
    {
        graph.UseCollections(DocumentCollectionName.Default);
        graph.AddNode(AgentNode.Agent, async (_, context) => AgentStateUpdate.WithMessages(await context.CallModelAsync(ModelRequest)));
        graph.AddToolNode(AgentNode.Tools);
        graph.AddConditionalEdges(AgentGraph.Start, state => RetrievalAgent.NextNode(state.Messages), [AgentNode.Agent, AgentNode.Tools, AgentGraph.End]);
        graph.AddConditionalEdges(AgentNode.Agent, AgentGraph.ToolsCondition, [AgentNode.Tools, AgentGraph.End]);
        graph.AddEdge(AgentNode.Tools, AgentNode.Agent);
    }
}
