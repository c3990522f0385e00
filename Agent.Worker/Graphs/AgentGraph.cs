using Agent.Worker.Runs;

namespace Agent.Worker.Graphs;

/// <summary>
/// The reserved names of a graph, spelled as LangGraph spells them: <see cref="Start"/> (<c>__start__</c>), the entry
/// every run begins at, and <see cref="End"/> (<c>__end__</c>), the exit that finishes the run with <c>success</c>.
/// </summary>
public static class AgentGraph
{
    /// <summary>The entry pseudo-node, <c>__start__</c>: a run's input is committed as its step; edges from it choose the first node.</summary>
    public const string Start = ReservedNodes.Start;

    /// <summary>The exit pseudo-node, <c>__end__</c>: routing here ends the run with <c>success</c>.</summary>
    public const string End = ReservedNodes.End;

    /// <summary>The channel holding the conversation, <c>messages</c>, merged by message id (LangGraph's <c>add_messages</c>).</summary>
    public const string Messages = ChannelValues.MessagesChannel;

    /// <summary>The name <see cref="AgentGraphBuilder.AddToolNode"/> gives the prebuilt tool node by default, <c>tools</c>.</summary>
    public const string Tools = "tools";

    /// <summary>
    /// Routes as LangGraph's prebuilt <c>tools_condition</c> does: to <see cref="Tools"/> when the last message is an
    /// <c>ai</c> message with tool calls, else to <see cref="End"/>.
    /// </summary>
    /// <param name="state">The state.</param>
    /// <returns><see cref="Tools"/> or <see cref="End"/>.</returns>
    public static string ToolsCondition(AgentGraphState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state.LastMessageHasToolCalls ? Tools : End;
    }
}
