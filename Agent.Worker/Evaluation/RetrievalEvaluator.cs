using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Agent.Persistence.Documents;
using Agent.Worker.Graphs;
using Agent.Worker.Tools;

namespace Agent.Worker.Evaluation;

/// <summary>What one question scored.</summary>
/// <param name="Question">The question.</param>
/// <param name="Sources">The pages of the search results, in rank order.</param>
/// <param name="Cited">The pages the agent's answer cites, or empty when the agent was not run.</param>
/// <param name="SearchMs">How long <c>search_documents</c> took (query embedding included), in ms.</param>
/// <param name="Read">
/// The pages of the results the agent's own searches returned (its query and <c>k</c>, which may differ from the
/// eval's), in the order it read them; empty when the agent was not run.
/// </param>
/// <param name="Answer">The agent's answer, or empty when the agent was not run.</param>
/// <param name="Passages">The text of the results the agent's searches returned (what it read), for the LLM judge.</param>
internal sealed record EvalOutcome(
    EvalQuestion Question, IReadOnlyList<string> Sources, IReadOnlyList<string> Cited, double SearchMs, IReadOnlyList<string> Read,
    string Answer = "", string Passages = "")
{
    /// <summary>Whether an answering page is among the first <paramref name="n"/> results.</summary>
    /// <param name="n">How many results count.</param>
    /// <returns>True on a hit.</returns>
    public bool HitAt(int n) => Sources.Take(n).Any(Question.Pages.Contains);

    /// <summary>Gets a value indicating whether the answer cites an answering page.</summary>
    public bool CitesAnswer => Cited.Any(Question.Pages.Contains);

    /// <summary>
    /// Gets why the answer misses, if it does: <c>selection</c> when an answering page was among the results the agent
    /// read but the answer does not cite it, <c>retrieval</c> when the agent's searches never returned one; empty when
    /// the answer cites an answering page or the agent was not run.
    /// </summary>
    public string MissKind => Read.Count == 0 || CitesAnswer ? "" : Read.Any(Question.Pages.Contains) ? "selection" : "retrieval";
}

/// <summary>
/// Runs the eval set through <c>search_documents</c> and through the agent (model and tools, in process, as a run
/// would), and turns the outcomes into figures per category.
/// </summary>
/// <param name="agent">The retrieval agent with the configured model.</param>
/// <param name="search">The <c>search_documents</c> tool to measure.</param>
internal sealed partial class RetrievalEvaluator(RetrievalAgent? agent, IAgentTool search)
{
    /// <summary>The most model calls per question before the agent is cut off (each tool round is one more).</summary>
    public const int MaxModelCalls = 6;

    /// <summary>The collections searched: the manual's, as the built-in <c>agent</c> graph's runs search it.</summary>
    private static readonly IReadOnlyList<string> Scope = [DocumentCollectionName.Default];

    /// <summary>Scores one question.</summary>
    /// <param name="question">The question.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The outcome.</returns>
    public async Task<EvalOutcome> EvaluateAsync(EvalQuestion question, CancellationToken cancellationToken)
    {
        var arguments = JsonSerializer.SerializeToElement(new { query = question.Text, k = 5 });
        var started = Stopwatch.GetTimestamp();
        var json = await search.InvokeAsync(arguments, new ToolInvocation(Guid.NewGuid(), 0, "eval") { Collections = Scope }, cancellationToken);
        var searchMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var sources = JsonNode.Parse(json)!["results"]!.AsArray().Select(r => r!["source"]!.GetValue<string>()).ToList();
        if (agent is null)
        {
            return new EvalOutcome(question, sources, [], searchMs, []);
        }

        var (cited, read, answer, passages) = await AskAsync(agent, question.Text, cancellationToken);
        return new EvalOutcome(question, sources, cited, searchMs, read, answer, passages);
    }

    /// <summary>Figures per category and for <c>all</c>.</summary>
    /// <param name="outcomes">The outcomes.</param>
    /// <returns>Figures by category.</returns>
    public static SortedDictionary<string, CategoryFigures> Figures(IReadOnlyList<EvalOutcome> outcomes)
    {
        static CategoryFigures Of(IReadOnlyCollection<EvalOutcome> group)
        {
            double Percent(Func<EvalOutcome, bool> hit) => Math.Round(100.0 * group.Count(hit) / group.Count, 1);
            return new CategoryFigures(group.Count, Percent(o => o.HitAt(1)), Percent(o => o.HitAt(3)), Percent(o => o.HitAt(5)), Percent(o => o.CitesAnswer));
        }

        var figures = new SortedDictionary<string, CategoryFigures>(StringComparer.Ordinal) { ["all"] = Of(outcomes) };
        foreach (var group in outcomes.GroupBy(o => o.Question.Category))
        {
            figures[group.Key] = Of(group.ToList());
        }

        return figures;
    }

    private static async Task<(List<string> Cited, List<string> Read, string Answer, string Passages)> AskAsync(RetrievalAgent agent, string question, CancellationToken cancellationToken)
    {
        var messages = new JsonArray { new JsonObject { ["type"] = "human", ["content"] = question } };
        var runId = Guid.NewGuid();
        for (var step = 0; step < MaxModelCalls && RetrievalAgent.NextNode(messages) != AgentNode.End; step++)
        {
            if (RetrievalAgent.NextNode(messages) == AgentNode.Tools)
            {
                var (results, _) = await agent.RunToolsAsync((JsonObject)messages[^1]!, runId, step, null, Scope, guard: null, cancellationToken);
                foreach (var result in results)
                {
                    messages.Add(result!.DeepClone());
                }
            }
            else
            {
                var reply = await agent.CallModelAsync(messages, $"eval-{step}", null, null, null, null, cancellationToken);
                messages.Add(reply.Message);
            }
        }

        var answer = messages[^1]?["content"] is JsonValue content && content.TryGetValue<string>(out var text) ? text : "";
        List<string> cited = [.. CitedPage().Matches(answer).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal)];
        var passages = string.Join("\n\n", messages
            .Select(m => m?["type"]?.GetValue<string>() == "tool" && m["content"] is JsonValue value && value.TryGetValue<string>(out var result) ? result : null)
            .OfType<string>());
        return (cited, [.. messages.SelectMany(ResultSources).Distinct(StringComparer.Ordinal)], answer, passages);
    }

    // The pages of a search result message (a tool message whose content is search_documents' JSON); none otherwise.
    private static IEnumerable<string> ResultSources(JsonNode? message)
    {
        if (message?["type"]?.GetValue<string>() != "tool" || message["content"] is not JsonValue value
            || !value.TryGetValue<string>(out var content) || !content.StartsWith('{'))
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(content)?["results"] is JsonArray results
                ? [.. results.Select(r => r?["source"]?.GetValue<string>() ?? "").Where(s => s.Length > 0)]
                : [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    // The offline model's sources read "[1] Title — Heading (page.html)"; an LLM is asked to cite the same way.
    [GeneratedRegex(@"\b([a-z0-9][a-z0-9._-]*\.html)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CitedPage();
}
