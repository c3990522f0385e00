using System.Text.Json.Nodes;
using Agent.Worker.Graphs;

namespace SupportAgent;

/// <summary>
/// The sample graph <c>support</c>: a support agent for Skiff, a (fictional) backup service. Triage first, then a
/// retrieval step over the sample's own collection, then the model answers, calling tools as it needs:
/// <code>
/// __start__ → triage ─┬→ greet → __end__
///                     ├→ clarify ─→ retrieve (or greet)
///                     └→ retrieve → tools → agent ─┬→ tools (again)
///                                                 └→ __end__
/// </code>
/// <list type="bullet">
/// <item><c>triage</c> (no model) files the question under a <c>topic</c> channel: <c>greeting</c>, <c>status</c>,
/// <c>product</c>, or <c>unclear</c> for a question of fewer than <see cref="MinimumWords"/> words.</item>
/// <item><c>greet</c> answers a bare greeting without a model call.</item>
/// <item><c>clarify</c> asks the customer to say more (<see cref="AgentNodeContext.Interrupt"/>): the run pauses, the
/// thread is <c>interrupted</c>, and the run that resumes it (<c>command.resume</c> with the customer's text) adds that
/// text as the customer's message and files it again.</item>
/// <item><c>retrieve</c> asks the prebuilt tool node for <c>search_documents</c> over the question, as LangGraph's
/// "forced tool call" pattern does: an <c>ai</c> message carrying the tool call, so the search is one durable step whose
/// result the model reads.</item>
/// <item><c>agent</c> is the model, offered <c>search_documents</c>, <c>read_document</c>, the C# tool
/// <c>plan_quota</c> and the MCP tool <c>service_status</c> (from the status server in appsettings.json).</item>
/// </list>
/// </summary>
internal static class SupportGraph
{
    /// <summary>The graph id; its system assistant is uuid5 of it.</summary>
    public const string Name = "support";

    /// <summary>The document collection the graph's tools search: <c>docs/*.md</c>, ingested with <c>ingest --collection skiff-docs</c>.</summary>
    public const string Collection = "skiff-docs";

    /// <summary>The channel triage writes: <c>greeting</c>, <c>status</c>, <c>product</c> or <c>unclear</c>.</summary>
    public const string Topic = "topic";

    /// <summary>The system prompt of the <c>agent</c> node.</summary>
    public const string SystemPrompt =
        "You are Skiff's support agent. Answer from the search results of Skiff's documentation, and cite the document " +
        "you used by its source in square brackets, e.g. [restore.md]. Call plan_quota for a plan's limits and " +
        "service_status for the state of a region. If the documentation does not answer, say so.";

    /// <summary>What <c>greet</c> answers.</summary>
    public const string Greeting = "Hello! I answer questions about Skiff backups, plans and service status.";

    /// <summary>What <c>clarify</c> asks (the interrupt's <c>question</c>).</summary>
    public const string ClarifyQuestion = "Could you tell me a bit more: what were you doing, and in which region?";

    /// <summary>The fewest words a question needs not to be <c>unclear</c>: 3.</summary>
    public const int MinimumWords = 3;

    private static readonly string[] StatusWords = ["outage", "down", "status", "incident", "slow", "degraded"];
    private static readonly string[] GreetingWords = ["hi", "hello", "hey", "thanks", "thank you"];

    /// <summary>Declares the graph.</summary>
    /// <param name="graph">The builder of the graph <c>support</c>.</param>
    public static void Declare(AgentGraphBuilder graph)
    {
        graph.UseCollections(Collection);
        graph.AddChannel(Topic);
        graph.AddNode("triage", (state, _) => Task.FromResult(new AgentStateUpdate().Set(Topic, Triage(LastQuestion(state)))));
        graph.AddNode("clarify", (state, context) =>
        {
            // Pauses until the customer answers; on resume this returns their text.
            var answer = context.Interrupt(new JsonObject { ["question"] = ClarifyQuestion, ["asked"] = LastQuestion(state) });
            var text = answer is JsonValue value && value.TryGetValue<string>(out var said) ? said : answer?.ToJsonString() ?? string.Empty;
            return Task.FromResult(AgentStateUpdate.WithMessages(new JsonObject { ["type"] = "human", ["content"] = text })
                .Set(Topic, Triage(text) is "unclear" ? "product" : Triage(text)));
        });
        graph.AddNode("greet", (_, _) => Task.FromResult(AgentStateUpdate.WithMessages(
            new JsonObject { ["type"] = "ai", ["content"] = Greeting })));
        graph.AddNode("retrieve", (state, context) => Task.FromResult(AgentStateUpdate.WithMessages(
            SearchCall(LastQuestion(state), $"search-{context.RunId:N}"))));
        graph.AddToolNode();
        graph.AddNode("agent", async (state, context) => AgentStateUpdate.WithMessages(await context.CallModelAsync(new AgentModelRequest
        {
            SystemPrompt = state.Get<string>(Topic) == "status"
                ? SystemPrompt + " The customer reports a problem: check service_status first."
                : SystemPrompt,
        })));

        graph.AddEdge(AgentGraph.Start, "triage");
        graph.AddConditionalEdges("triage", state => state.Get<string>(Topic) switch
        {
            "greeting" => "greet",
            "unclear" => "clarify",
            _ => "retrieve",
        }, ["greet", "clarify", "retrieve"]);
        graph.AddConditionalEdges("clarify", state => state.Get<string>(Topic) == "greeting" ? "greet" : "retrieve", ["greet", "retrieve"]);
        graph.AddEdge("greet", AgentGraph.End);
        graph.AddEdge("retrieve", AgentGraph.Tools);
        graph.AddEdge(AgentGraph.Tools, "agent");
        graph.AddConditionalEdges("agent", AgentGraph.ToolsCondition, [AgentGraph.Tools, AgentGraph.End]);
    }

    /// <summary>Files a question under a topic.</summary>
    /// <param name="question">The user's question.</param>
    /// <returns><c>greeting</c>, <c>status</c>, <c>product</c> or <c>unclear</c>.</returns>
    public static string Triage(string question)
    {
        var text = question.Trim().TrimEnd('!', '.', '?').ToLowerInvariant();
        if (GreetingWords.Contains(text))
        {
            return "greeting";
        }

        if (text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < MinimumWords)
        {
            return "unclear";
        }

        return StatusWords.Any(w => text.Contains(w, StringComparison.Ordinal)) ? "status" : "product";
    }

    /// <summary>Reads the text of the state's last <c>human</c> message.</summary>
    /// <param name="state">The state.</param>
    /// <returns>The text, or empty when there is none.</returns>
    public static string LastQuestion(AgentGraphState state) =>
        state.Messages.OfType<JsonObject>().LastOrDefault(m => m["type"]?.GetValue<string>() == "human")?["content"] switch
        {
            JsonValue text when text.TryGetValue<string>(out var s) => s,
            JsonArray parts => string.Join(" ", parts.OfType<JsonObject>().Select(p => p["text"]?.GetValue<string>()).OfType<string>()),
            _ => string.Empty,
        };

    // The id is the run's, so a retry of the step writes the same message (the checkpoint keeps one).
    private static JsonObject SearchCall(string question, string callId) => new()
    {
        ["type"] = "ai",
        ["content"] = string.Empty,
        ["tool_calls"] = new JsonArray(new JsonObject
        {
            ["name"] = "search_documents",
            ["args"] = new JsonObject { ["query"] = question },
            ["id"] = callId,
            ["type"] = "tool_call",
        }),
    };
}
