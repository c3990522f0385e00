namespace Agent.Worker.Runs;

/// <summary>
/// The node names LangGraph reserves (<c>START</c> and <c>END</c> in <c>langgraph.graph</c>): the step loop commits a
/// run's input as <see cref="Start"/> and stops when a graph routes to <see cref="End"/>. The graph model
/// (<c>AgentGraph.Start</c>, <c>AgentGraph.End</c>) spells them from here, so the loop does not depend on it.
/// </summary>
internal static class ReservedNodes
{
    /// <summary>The entry node, <c>__start__</c>: its checkpoint holds the run's input.</summary>
    public const string Start = "__start__";

    /// <summary>The exit node, <c>__end__</c>: routing there ends the run.</summary>
    public const string End = "__end__";
}
