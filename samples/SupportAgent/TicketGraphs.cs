using System.Text.Json.Nodes;
using Agent.Worker.Graphs;

namespace SupportAgent;

/// <summary>
/// The sample graph <c>ticket</c> and the two graphs it runs as subgraphs (<see cref="AgentGraphBuilder.AddSubgraph"/>):
/// a written reply to a support ticket, researched first. Each graph is registered on its own (so each is also an
/// assistant), and a node of one runs another, as LangGraph adds a compiled graph as a node:
/// <code>
/// ticket:   __start__ → research ⟦research⟧ → reply → __end__
/// research: __start__ → lookup ⟦lookup⟧ → summarize → __end__
/// lookup:   __start__ → search → tools → __end__
/// </code>
/// <list type="bullet">
/// <item><c>lookup</c>'s <c>search</c> asks the prebuilt tool node for <c>search_documents</c> over the ticket and
/// <c>plan_quota</c> for the plan it names, as one <c>ai</c> message with two tool calls. A ticket that names no plan
/// makes it ask (<see cref="AgentNodeContext.Interrupt"/>, two subgraphs deep): the run pauses, the thread shows the
/// question on its <c>research</c> task, and the run that resumes it (<c>command.resume</c> with the answer) comes back
/// into <c>lookup</c>, where <c>search</c> runs again and gets the answer.</item>
/// <item><c>research</c>'s <c>summarize</c> has the model write the findings as notes into the <see cref="Notes"/>
/// channel (offered no tools).</item>
/// <item><c>ticket</c>'s <c>reply</c> has the model write the reply from those notes (offered no tools).</item>
/// </list>
/// A subgraph starts from its parent's messages and the channels both declare, and its parent's node writes back what
/// it changed: after <c>research</c>, the ticket's thread has the tool calls, their results and the notes. Each
/// subgraph node is a durable step of its own, committed in the namespace <c>research:&lt;task id&gt;</c> (and
/// <c>research:&lt;task id&gt;|lookup:&lt;task id&gt;</c> inside it), so a worker killed while <c>summarize</c> waits
/// for the model resumes there: the lookup and its tool calls do not run again.
/// </summary>
internal static class TicketGraphs
{
    /// <summary>The graph id of the ticket reply.</summary>
    public const string Ticket = "ticket";

    /// <summary>The graph id of the research subgraph.</summary>
    public const string Research = "research";

    /// <summary>The graph id of the lookup subgraph (inside <see cref="Research"/>).</summary>
    public const string Lookup = "lookup";

    /// <summary>The channel <c>summarize</c> writes and <c>reply</c> reads, declared by <c>ticket</c> and <c>research</c>.</summary>
    public const string Notes = "notes";

    /// <summary>The system prompt of <c>summarize</c>.</summary>
    public const string SummarizePrompt =
        "You take notes for Skiff's support team. From the tool results above, write the facts that answer the ticket as " +
        "short notes, citing each document by its source in square brackets.";

    /// <summary>The system prompt of <c>reply</c>, followed by the notes.</summary>
    public const string ReplyPrompt = "You write Skiff's reply to a support ticket, in two or three sentences, from these notes only:\n";

    /// <summary>What <c>search</c> asks when the ticket names no plan (the interrupt's <c>question</c>).</summary>
    public const string PlanQuestion = "Which plan is the customer on: free, team or enterprise?";

    private static readonly string[] Plans = ["free", "team", "enterprise"];

    /// <summary>Declares <c>ticket</c>.</summary>
    /// <param name="graph">The builder of the graph <c>ticket</c>.</param>
    public static void DeclareTicket(AgentGraphBuilder graph)
    {
        graph.UseCollections(SupportGraph.Collection);
        graph.AddChannel(Notes);
        graph.AddSubgraph("research", Research);
        graph.AddNode("reply", async (state, context) => AgentStateUpdate.WithMessages(await context.CallModelAsync(new AgentModelRequest
        {
            SystemPrompt = ReplyPrompt + state.Get<string>(Notes),
            Tools = [],
        })));
        graph.AddEdge(AgentGraph.Start, "research");
        graph.AddEdge("research", "reply");
        graph.AddEdge("reply", AgentGraph.End);
    }

    /// <summary>Declares <c>research</c>.</summary>
    /// <param name="graph">The builder of the graph <c>research</c>.</param>
    public static void DeclareResearch(AgentGraphBuilder graph)
    {
        graph.UseCollections(SupportGraph.Collection);
        graph.AddChannel(Notes);
        graph.AddSubgraph("lookup", Lookup);
        graph.AddNode("summarize", async (state, context) =>
        {
            var notes = await context.CallModelAsync(new AgentModelRequest { SystemPrompt = SummarizePrompt, Tools = [] });
            return new AgentStateUpdate().Set(Notes, notes["content"]?.ToString() ?? string.Empty);
        });
        graph.AddEdge(AgentGraph.Start, "lookup");
        graph.AddEdge("lookup", "summarize");
        graph.AddEdge("summarize", AgentGraph.End);
    }

    /// <summary>Declares <c>lookup</c>.</summary>
    /// <param name="graph">The builder of the graph <c>lookup</c>.</param>
    public static void DeclareLookup(AgentGraphBuilder graph)
    {
        graph.UseCollections(SupportGraph.Collection);
        graph.AddNode("search", (state, context) =>
        {
            var ticket = SupportGraph.LastQuestion(state);
            var plan = PlanNamedIn(ticket) ?? AskPlan(context, ticket);
            // The call ids are the run's, so a retry of the step writes the same message.
            return Task.FromResult(AgentStateUpdate.WithMessages(new JsonObject
            {
                ["type"] = "ai",
                ["content"] = string.Empty,
                ["tool_calls"] = new JsonArray(
                    ToolCall("search_documents", new JsonObject { ["query"] = ticket }, $"lookup-{context.RunId:N}-search"),
                    ToolCall(PlanQuotaTool.Name, new JsonObject { ["plan"] = plan }, $"lookup-{context.RunId:N}-plan")),
            }));
        });
        graph.AddToolNode();
        graph.AddEdge(AgentGraph.Start, "search");
        graph.AddEdge("search", AgentGraph.Tools);
        graph.AddEdge(AgentGraph.Tools, AgentGraph.End);
    }

    private static string? PlanNamedIn(string text) => Plans.FirstOrDefault(p => text.Contains(p, StringComparison.OrdinalIgnoreCase));

    // Pauses until the customer's plan is known; on resume this returns the plan named in the answer (free otherwise).
    private static string AskPlan(AgentNodeContext context, string ticket)
    {
        var answer = context.Interrupt(new JsonObject { ["question"] = PlanQuestion, ["ticket"] = ticket });
        var said = answer is JsonValue value && value.TryGetValue<string>(out var text) ? text : answer?.ToJsonString() ?? string.Empty;
        return PlanNamedIn(said) ?? "free";
    }

    private static JsonObject ToolCall(string name, JsonObject args, string id) => new()
    {
        ["name"] = name,
        ["args"] = args,
        ["id"] = id,
        ["type"] = "tool_call",
    };
}
