namespace Agent.Worker.Graphs;

/// <summary>
/// Names the nodes of the retrieval agent's graph, as LangGraph's prebuilt ReAct agent names them.
/// </summary>
internal static class AgentNode
{
    /// <summary>The input pseudo-node: the run's input messages.</summary>
    public const string Start = Graphs.AgentGraph.Start;

    /// <summary>A model call.</summary>
    public const string Agent = "agent";

    /// <summary>A round of tool calls.</summary>
    public const string Tools = "tools";

    /// <summary>No node left: the last message is an answer.</summary>
    public const string End = Graphs.AgentGraph.End;
}
