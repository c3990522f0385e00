using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Agent.Worker.Embeddings;
using Agent.Worker.Graphs;
using Agent.Worker.Hosting;
using Agent.Worker.Models;
using Agent.Worker.Retrieval;
using Agent.Worker.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.AI.Evaluation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Agent.Worker.Evaluation;

/// <summary>
/// The worker's <c>eval</c> command (run by <c>deploy/local/eval.sh</c>): the question set through hybrid search,
/// full-text search alone and the agent; prints hit@1/3/5 and citation accuracy per category, and the search
/// latency; compares with the recorded figures (the CI gate) or records them.
/// </summary>
/// <remarks>
/// <c>eval --questions FILE --figures FILE [--record] [--check --manual DIR] [--report FILE] [--no-agent]</c>.
/// With an OpenAI-compatible provider configured (<see cref="AnswerJudge.ChatClientFromEnvironment"/>), an LLM judge
/// also rates every answer (<see cref="AnswerJudge"/>): printed per category and in the report, never gating.
/// Exit codes: 0 passed (or recorded), 1 a figure fell more than <see cref="EvalFigures.Tolerance"/> points below
/// the recorded one, 2 bad input (a question set line, a page that does not exist or lacks its evidence phrase).
/// </remarks>
internal static partial class EvalCommand
{
    /// <summary>Runs the command.</summary>
    /// <param name="builder">The host builder (persistence already added).</param>
    /// <param name="args">The command line.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(HostApplicationBuilder builder, string[] args)
    {
        string? Option(string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        var questionsPath = Option("--questions") ?? "eval/questions.tsv";
        var figuresPath = Option("--figures") ?? "eval/figures.json";
        var questions = EvalQuestion.Load(questionsPath);
        if (args.Contains("--check"))
        {
            var problems = Check(questions, Option("--manual") ?? WorkerCommands.DefaultCorpusPath);
            foreach (var problem in problems)
            {
                await Console.Error.WriteLineAsync($"eval: {problem}");
            }

            if (problems.Count > 0)
            {
                return 2;
            }

            await Console.Out.WriteLineAsync($"eval: {questions.Count} questions checked: every page exists and contains its evidence phrase.");
        }

        builder.Services.AddAgentModels(builder.Configuration);
        builder.Services.AddRetrievalTools(builder.Configuration);
        builder.Services.AddSingleton<RetrievalAgent>();
        using var host = builder.Build();
        var hybridSearch = host.Services.GetServices<IAgentTool>().Single(t => t.Name == SearchDocumentsTool.ToolName);
        var lexicalSearch = new SearchDocumentsTool(host.Services.GetRequiredService<NpgsqlDataSource>(), host.Services.GetRequiredService<ChunkLexicalIndex>());
        var agent = args.Contains("--no-agent") ? null : host.Services.GetRequiredService<RetrievalAgent>();
        var hybrid = new RetrievalEvaluator(agent, hybridSearch);
        var lexical = new RetrievalEvaluator(null, lexicalSearch);

        // Warm up: the embedding model and the vector cache load on first use, and are not what is measured.
        await hybrid.EvaluateAsync(questions[0], CancellationToken.None);
        await lexical.EvaluateAsync(questions[0], CancellationToken.None);

        var hybridOutcomes = new List<EvalOutcome>();
        var lexicalOutcomes = new List<EvalOutcome>();
        foreach (var question in questions)
        {
            hybridOutcomes.Add(await hybrid.EvaluateAsync(question, CancellationToken.None));
            lexicalOutcomes.Add(await lexical.EvaluateAsync(question, CancellationToken.None));
        }

        var figures = RetrievalEvaluator.Figures(hybridOutcomes);
        var lexicalFigures = RetrievalEvaluator.Figures(lexicalOutcomes);
        await Console.Out.WriteAsync(Table(figures, lexicalFigures, agent is not null));
        await Console.Out.WriteLineAsync(
            $"search_documents latency over {questions.Count} questions: hybrid (query embedding included) " +
            $"p50 {Percentile(hybridOutcomes.Select(o => o.SearchMs), 50):F1} ms, p99 {Percentile(hybridOutcomes.Select(o => o.SearchMs), 99):F1} ms; full text alone " +
            $"p50 {Percentile(lexicalOutcomes.Select(o => o.SearchMs), 50):F1} ms, p99 {Percentile(lexicalOutcomes.Select(o => o.SearchMs), 99):F1} ms.");

        // Where hybrid search's time goes: the query embedding alone, measured on its own.
        if (host.Services.GetService<IEmbeddingGenerator<string, Embedding<float>>>() is { } generator)
        {
            var embeddingMs = new List<double>(questions.Count);
            foreach (var question in questions)
            {
                var started = Stopwatch.GetTimestamp();
                await generator.GenerateAsync([question.Text]);
                embeddingMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            await Console.Out.WriteLineAsync(
                $"query embedding alone ({EmbeddingModel.IdOf(generator)}): p50 {Percentile(embeddingMs, 50):F1} ms, p99 {Percentile(embeddingMs, 99):F1} ms.");
        }

        // The LLM judge: reported, never gating (AnswerJudge), and only when a provider is configured.
        var judged = agent is null ? null : await JudgeAsync(builder.Configuration, hybridOutcomes);

        if (Option("--report") is { } reportPath)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(reportPath))!);
            await File.WriteAllLinesAsync(reportPath, hybridOutcomes.Zip(lexicalOutcomes).Select(p =>
                string.Join('\t', p.First.Question.Category, p.First.Question.Text, string.Join(' ', p.First.Question.Pages),
                    p.First.HitAt(5) ? "hit" : "MISS", string.Join(' ', p.First.Sources), p.Second.HitAt(5) ? "hit" : "MISS",
                    string.Join(' ', p.First.Cited), p.First.MissKind, string.Join(' ', p.First.Read),
                    judged is not null && judged.TryGetValue(p.First, out var scores) ? $"{scores.Relevance}\t{scores.Groundedness}" : "")));
        }

        if (agent is not null)
        {
            // Where the answers that cite no answering page come from: the page was read but not quoted, or never found.
            // Citing more pages raises the figure, so the pages cited per answer are printed beside it.
            var misses = hybridOutcomes.Where(o => o.MissKind.Length > 0).ToList();
            await Console.Out.WriteLineAsync(
                $"answers citing no answering page: {misses.Count}; the page was in the agent's search results but not cited " +
                $"(selection) {misses.Count(o => o.MissKind == "selection")}, not in them (retrieval) {misses.Count(o => o.MissKind == "retrieval")}; " +
                $"pages cited per answer: mean {hybridOutcomes.Average(o => o.Cited.Count).ToString("F2", CultureInfo.InvariantCulture)}, " +
                $"pages read per answer: mean {hybridOutcomes.Average(o => o.Read.Count).ToString("F1", CultureInfo.InvariantCulture)}.");
        }

        if (agent is null)
        {
            return 0;
        }

        if (args.Contains("--record"))
        {
            EvalFigures.Write(figuresPath, figures);
            await Console.Out.WriteLineAsync($"eval: figures recorded in {figuresPath}.");
            return 0;
        }

        if (!File.Exists(figuresPath))
        {
            await Console.Error.WriteLineAsync($"eval: {figuresPath} does not exist; run with --record to record the figures.");
            return 2;
        }

        var regressions = EvalFigures.Regressions(EvalFigures.Read(figuresPath), figures);
        foreach (var regression in regressions)
        {
            await Console.Error.WriteLineAsync($"eval: REGRESSION {regression}");
        }

        await Console.Out.WriteLineAsync(regressions.Count == 0
            ? $"eval: passed (no figure more than {EvalFigures.Tolerance} points below {figuresPath})."
            : $"eval: FAILED, {regressions.Count} figure(s) more than {EvalFigures.Tolerance} points below {figuresPath}.");
        return regressions.Count == 0 ? 0 : 1;
    }

    // Rates every answer with the LLM judge and prints the mean scores per category; null when no judge is configured.
    private static async Task<Dictionary<EvalOutcome, (double Relevance, double Groundedness)>?> JudgeAsync(
        Microsoft.Extensions.Configuration.IConfiguration configuration, IReadOnlyList<EvalOutcome> outcomes)
    {
        using var client = AnswerJudge.ChatClientFromEnvironment(configuration);
        if (client is null)
        {
            await Console.Out.WriteLineAsync("LLM judge: not run (set OPENAI_API_KEY, or AGENT_JUDGE_OPENAI_API_KEY, to rate the answers).");
            return null;
        }

        var judge = new AnswerJudge();
        var chat = new ChatConfiguration(client);
        var scores = new Dictionary<EvalOutcome, (double Relevance, double Groundedness)>(ReferenceEqualityComparer.Instance);
        var failures = 0;
        string? lastFailure = null;
        foreach (var outcome in outcomes)
        {
            try
            {
                var result = await judge.EvaluateAsync(
                    [new ChatMessage(ChatRole.User, outcome.Question.Text)],
                    new ChatResponse(new ChatMessage(ChatRole.Assistant, outcome.Answer)),
                    chat,
                    [new AnswerJudgeContext(outcome.Passages)]);
                if (result.Get<NumericMetric>(AnswerJudge.RelevanceMetricName).Value is { } relevance
                    && result.Get<NumericMetric>(AnswerJudge.GroundednessMetricName).Value is { } groundedness)
                {
                    scores[outcome] = (relevance, groundedness);
                    continue;
                }

                lastFailure = string.Join("; ", result.Metrics.Values.SelectMany(m => m.Diagnostics ?? []).Select(d => d.Message).Distinct());
            }
            catch (Exception e) when (e is HttpRequestException or System.ClientModel.ClientResultException or TaskCanceledException)
            {
                lastFailure = e.Message;
            }

            failures++;
        }

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"LLM judge ({client.GetService<ChatClientMetadata>()?.DefaultModelId ?? "model"}; reported, not gating): mean of 1-5 per answer");
        table.AppendLine(CultureInfo.InvariantCulture, $"{"category",-10} {"n",4} | {"relevance",9} {"grounded",9}");
        foreach (var group in outcomes.GroupBy(o => o.Question.Category).OrderBy(g => g.Key, StringComparer.Ordinal).Append(outcomes.GroupBy(_ => "all").Single()))
        {
            var rated = group.Where(scores.ContainsKey).Select(o => scores[o]).ToList();
            table.AppendLine(CultureInfo.InvariantCulture,
                $"{group.Key,-10} {rated.Count,4} | {AnswerJudge.Mean([.. rated.Select(r => r.Relevance)]),9} {AnswerJudge.Mean([.. rated.Select(r => r.Groundedness)]),9}");
        }

        if (failures > 0)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"LLM judge: {failures} answer(s) unscored; last reason: {lastFailure}");
        }

        await Console.Out.WriteAsync(table.ToString());
        return scores;
    }

    private static List<string> Check(List<EvalQuestion> questions, string manual)
    {
        var problems = new List<string>();
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var question in questions)
        {
            foreach (var page in question.Pages.Where(p => !File.Exists(Path.Combine(manual, p))))
            {
                problems.Add($"\"{question.Text}\": {page} does not exist in {manual}");
            }

            var first = Path.Combine(manual, question.Pages[0]);
            if (!File.Exists(first))
            {
                continue;
            }

            if (!texts.TryGetValue(first, out var text))
            {
                text = Whitespace().Replace(WebUtility.HtmlDecode(Tag().Replace(File.ReadAllText(first), " ")), " ");
                texts[first] = text;
            }

            if (!text.Contains(Whitespace().Replace(question.Evidence, " "), StringComparison.OrdinalIgnoreCase))
            {
                problems.Add($"\"{question.Text}\": {question.Pages[0]} does not contain \"{question.Evidence}\"");
            }
        }

        return problems;
    }

    private static string Table(
        SortedDictionary<string, CategoryFigures> hybrid, SortedDictionary<string, CategoryFigures> lexical, bool withAgent)
    {
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture,
            $"{"category",-10} {"n",4} | {"hit@1",6} {"hit@3",6} {"hit@5",6} | {"cited",6} | full text alone: {"hit@1",6} {"hit@3",6} {"hit@5",6}");
        foreach (var (category, f) in hybrid.OrderBy(c => c.Key == "all").ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            var l = lexical[category];
            var cited = withAgent ? $"{f.Cited,5:F1}%" : "     -";
            table.AppendLine(CultureInfo.InvariantCulture,
                $"{category,-10} {f.Questions,4} | {f.HitAt1,5:F1}% {f.HitAt3,5:F1}% {f.HitAt5,5:F1}% | {cited} |                  {l.HitAt1,5:F1}% {l.HitAt3,5:F1}% {l.HitAt5,5:F1}%");
        }

        return table.ToString();
    }

    private static double Percentile(IEnumerable<double> milliseconds, int percentile)
    {
        var sorted = milliseconds.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
