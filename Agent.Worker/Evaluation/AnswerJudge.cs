using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Agent.Worker.Models.OpenAI;
using Microsoft.Extensions.AI.Evaluation;
using Microsoft.Extensions.Configuration;

namespace Agent.Worker.Evaluation;

/// <summary>
/// The eval's LLM judge, a Microsoft.Extensions.AI.Evaluation <see cref="IEvaluator"/>: one call to the judge's chat
/// model rates an answer from 1 (unacceptable) to 5 (excellent) on <see cref="RelevanceMetricName"/> (does it answer
/// the question that was asked, completely) and <see cref="GroundednessMetricName"/> (is everything it claims supported
/// by the passages the agent's searches returned, given as an <see cref="AnswerJudgeContext"/>).
/// </summary>
/// <remarks>
/// The two rubrics and the 1–5 scale are those of Microsoft.Extensions.AI.Evaluation.Quality's RelevanceEvaluator and
/// GroundednessEvaluator (that package is not served by this project's feeds, so the prompt is ours). The judge is
/// reported, never gating: a model's scores drift between versions, while the gate's figures are the exact page
/// matches of <see cref="RetrievalEvaluator"/>. A reply that is not the asked JSON leaves the metrics without a value
/// and with an error diagnostic; a failing call throws (the caller counts it as unscored).
/// </remarks>
internal sealed class AnswerJudge : IEvaluator
{
    /// <summary>The metric: does the answer address the question, completely (1–5).</summary>
    public const string RelevanceMetricName = "Relevance";

    /// <summary>The metric: is every claim of the answer supported by the retrieved passages (1–5).</summary>
    public const string GroundednessMetricName = "Groundedness";

    /// <summary>The most characters of retrieved passages shown to the judge (about 4,000 tokens).</summary>
    public const int MaxContextChars = 16_000;

    private const string Instructions =
        """
        You grade one answer of a documentation assistant for the PostgreSQL 15 manual.
        You get the user's question, the passages of the manual the assistant retrieved, and the assistant's answer.
        Rate the answer on two scales from 1 to 5:
        - relevance: 5 = answers exactly what was asked, completely; 4 = answers it with minor gaps; 3 = partly answers it;
          2 = touches the topic but does not answer it; 1 = unrelated or no answer.
        - groundedness: 5 = every claim is supported by the passages; 4 = nearly all; 3 = about half;
          2 = mostly unsupported; 1 = contradicts the passages or invents facts.
        Reply with one JSON object and nothing else: {"relevance": <1-5>, "groundedness": <1-5>, "reason": "<one sentence>"}
        """;

    /// <inheritdoc />
    public IReadOnlyCollection<string> EvaluationMetricNames => [RelevanceMetricName, GroundednessMetricName];

    /// <summary>Rates an answer.</summary>
    /// <param name="messages">The conversation; its last user message is the question.</param>
    /// <param name="modelResponse">The answer.</param>
    /// <param name="chatConfiguration">The judge's chat client (required).</param>
    /// <param name="additionalContext">An <see cref="AnswerJudgeContext"/> with the retrieved passages (none: the judge sees none).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A result with the two <see cref="NumericMetric"/>s, each with its interpretation and the judge's reason.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="chatConfiguration"/> is null.</exception>
    public async ValueTask<EvaluationResult> EvaluateAsync(
        IEnumerable<ChatMessage> messages,
        ChatResponse modelResponse,
        ChatConfiguration? chatConfiguration = null,
        IEnumerable<EvaluationContext>? additionalContext = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(modelResponse);
        ArgumentNullException.ThrowIfNull(chatConfiguration);
        var relevance = new NumericMetric(RelevanceMetricName);
        var groundedness = new NumericMetric(GroundednessMetricName);
        var result = new EvaluationResult(relevance, groundedness);

        var question = messages.TryGetUserRequest(out var request) ? request.RenderText() : messages.RenderText();
        var passages = string.Join("\n\n", additionalContext?.OfType<AnswerJudgeContext>().Select(c => c.Passages) ?? []);
        if (passages.Length > MaxContextChars)
        {
            passages = passages[..MaxContextChars];
        }

        var prompt = $"Question:\n{question}\n\nRetrieved passages:\n{(passages.Length == 0 ? "(none)" : passages)}\n\nAnswer:\n{modelResponse.RenderText()}";
        var started = Stopwatch.GetTimestamp();
        var reply = await chatConfiguration.ChatClient.GetResponseAsync(
            [new ChatMessage(ChatRole.System, Instructions), new ChatMessage(ChatRole.User, prompt)],
            new ChatOptions { Temperature = 0, ResponseFormat = ChatResponseFormat.Json },
            cancellationToken);
        result.AddOrUpdateChatMetadataInAllMetrics(reply, Stopwatch.GetElapsedTime(started));

        if (Parse(reply.Text) is not { } scores)
        {
            result.AddDiagnosticsToAllMetrics(EvaluationDiagnostic.Error(
                $"The judge did not reply with the asked JSON ({{\"relevance\": 1-5, \"groundedness\": 1-5}}): \"{Truncate(reply.Text, 200)}\""));
            return result;
        }

        Score(relevance, scores.Relevance, scores.Reason);
        Score(groundedness, scores.Groundedness, scores.Reason);
        return result;
    }

    private static void Score(NumericMetric metric, int value, string reason)
    {
        metric.Value = value;
        metric.Reason = reason;
        var rating = value switch
        {
            5 => EvaluationRating.Exceptional,
            4 => EvaluationRating.Good,
            3 => EvaluationRating.Average,
            2 => EvaluationRating.Poor,
            _ => EvaluationRating.Unacceptable,
        };
        metric.Interpretation = new EvaluationMetricInterpretation(rating, failed: value < 3, reason: $"{metric.Name} {value} of 5");
    }

    // The JSON object of the reply (a model may wrap it in a code fence or a sentence); null unless both scores are 1-5.
    private static (int Relevance, int Groundedness, string Reason)? Parse(string text)
    {
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start)
        {
            return null;
        }

        try
        {
            using var json = JsonDocument.Parse(text.AsMemory(start, end - start + 1));
            var root = json.RootElement;
            int? Score(string name) =>
                root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) && n is >= 1 and <= 5
                    ? n
                    : null;
            var reason = root.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "";
            return Score("relevance") is { } relevance && Score("groundedness") is { } grounded ? (relevance, grounded, reason) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Truncate(string text, int chars) =>
        text.Length <= chars ? text : string.Concat(text.AsSpan(0, chars), "…");

    /// <summary>
    /// The judge's chat client, from configuration keys named like environment variables: <c>AGENT_JUDGE_</c> followed by
    /// <c>OPENAI_API_KEY</c>, <c>OPENAI_BASE_URL</c>, <c>AZURE_OPENAI_ENDPOINT</c> or <c>AZURE_OPENAI_API_KEY</c> where
    /// set, else the agent's own variable of that name (<see cref="OpenAIProviderOptions.FromEnvironment"/>);
    /// <c>AGENT_JUDGE_MODEL</c> names the model (default <c>AGENT_MODEL</c>, else gpt-4o-mini). <c>eval.sh --gate</c>
    /// moves the provider's variables to the <c>AGENT_JUDGE_</c> names, so the offline model answers and the LLM judges.
    /// </summary>
    /// <param name="configuration">The configuration (environment variables included).</param>
    /// <returns>The client (no retries of its own beyond the SDK's default 3), or <see langword="null"/> when no provider is configured.</returns>
    public static IChatClient? ChatClientFromEnvironment(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string[] names = ["OPENAI_API_KEY", "OPENAI_BASE_URL", "AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY"];
        var values = names.ToDictionary(n => n, n => Setting(configuration, "AGENT_JUDGE_" + n) ?? Setting(configuration, n), StringComparer.Ordinal);
        values["AGENT_MODEL"] = Setting(configuration, "AGENT_JUDGE_MODEL") ?? Setting(configuration, "AGENT_MODEL");
        var options = OpenAIProviderOptions.FromEnvironment(new ConfigurationBuilder().AddInMemoryCollection(values).Build());
        return options is null ? null : new OpenAIChatClient(options);
    }

    private static string? Setting(IConfiguration configuration, string name) =>
        configuration[name] is { Length: > 0 } value ? value : null;

    /// <summary>Formats a mean score for the eval's table, e.g. <c>4.25</c>; <c>-</c> when nothing was scored.</summary>
    /// <param name="scores">The scores (1–5).</param>
    /// <returns>The mean with two decimals.</returns>
    public static string Mean(IReadOnlyCollection<double> scores) =>
        scores.Count == 0 ? "-" : scores.Average().ToString("F2", CultureInfo.InvariantCulture);
}

/// <summary>The passages the agent's searches returned, for <see cref="AnswerJudge"/>'s groundedness.</summary>
/// <param name="passages">The passages' text as the agent read it (the tools' results).</param>
internal sealed class AnswerJudgeContext(string passages) : EvaluationContext("Retrieved passages", passages)
{
    /// <summary>Gets the passages' text.</summary>
    public string Passages { get; } = passages;
}
