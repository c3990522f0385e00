namespace Agent.Worker.Runs;

/// <summary>
/// The node names LangGraph reserves (<c>START</c> and <c>END</c> in <c>langgraph.graph</c>, <c>INPUT</c> in
/// <c>langgraph._internal._constants</c>): the step loop records a run's input checkpoint as <see cref="Input"/>, commits
/// the input as <see cref="Start"/> and stops when a graph routes to <see cref="End"/>. The graph model
/// (<c>AgentGraph.Start</c>, <c>AgentGraph.End</c>) spells them from here, so the loop does not depend on it.
/// </summary>
internal static class ReservedNodes
{
    /// <summary>The entry node, <c>__start__</c>: its checkpoint holds the run's input.</summary>
    public const string Start = "__start__";

    /// <summary>
    /// The writer of a run's input checkpoint, <c>__input__</c> (LangGraph's <c>INPUT</c>): that checkpoint holds the
    /// thread's values before the input, and <see cref="Start"/> runs next.
    /// </summary>
    public const string Input = "__input__";

    /// <summary>The exit node, <c>__end__</c>: routing there ends the run.</summary>
    public const string End = "__end__";
}
