using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Agent.Worker.Models.Tokens;
using Microsoft.Extensions.AI;

namespace Agent.Worker.Models.Offline;

/// <summary>
/// The agent's embedded default model, used when no model key is configured: a deterministic extractive model, not an
/// LLM. It needs no key and no network, and it drives the agent loop the way a model would: for a new question it
/// calls the <c>search_documents</c> tool with the question, and once the tool has answered it quotes the
/// best-matching sentences of the returned passages with numbered citations (<see cref="ExtractiveAnswerComposer"/>).
/// </summary>
/// <remarks>
/// Every response says what produced it: <see cref="ChatResponse.ModelId"/> is <see cref="ModelId"/>, and the
/// message's (and response's) additional properties carry <c>model_provider = "offline"</c> and
/// <c>note</c> = <see cref="Note"/>. Usage is counted with <see cref="TokenCounter"/> (the cl100k_base encoding, as
/// for gpt-4); the model's price is zero. The same conversation always yields the same text, tool call id, message id and
/// usage; only <see cref="ChatResponse.CreatedAt"/> follows the clock.
/// </remarks>
internal sealed class OfflineExtractiveChatClient : IChatClient
{
    /// <summary>The model id reported in responses and metadata.</summary>
    public const string ModelId = "offline-extractive";

    /// <summary>The provider name reported in metadata and in the <c>model_provider</c> property.</summary>
    public const string ProviderName = "offline";

    /// <summary>The name of the tool the model calls to retrieve passages.</summary>
    public const string SearchToolName = "search_documents";

    /// <summary>
    /// The number of passages the model asks the search tool for (<c>k</c>; 20, the most
    /// <see cref="Retrieval.SearchDocumentsTool.MaxK"/> allows). Twenty rather than five: the answering page is among
    /// the top 20 results far more often than among the top 5, and the quote selection, which leads with the
    /// best-ranked relevant passage, still picks it out (BENCHMARKS.md, 2026-12-06: the eval set's answers cited an
    /// answering page for 87.9% with k = 10 and 89.4% with k = 20). The cost is embedding the passages' sentences for
    /// each answer (<see cref="QuoteSimilarity"/>).
    /// </summary>
    public const int SearchResultCount = Retrieval.SearchDocumentsTool.MaxK;

    /// <summary>The note attached to every response, saying that no LLM was called.</summary>
    public const string Note = "Offline extractive model: quotes retrieved passages; no LLM was called.";

    /// <summary>The additional property naming the provider (<see cref="ProviderName"/>).</summary>
    public const string ModelProviderProperty = "model_provider";

    /// <summary>The additional property holding <see cref="Note"/>.</summary>
    public const string NoteProperty = "note";

    // Streamed text updates are about this long (cut after the next whitespace), so streaming is visible.
    private const int StreamChunkChars = 40;

    private static readonly ChatClientMetadata Metadata = new(ProviderName, providerUri: null, defaultModelId: ModelId);

    private readonly TimeProvider timeProvider;
    private readonly QuoteSimilarity? similarity;

    /// <summary>
    /// Initializes a new instance of the <see cref="OfflineExtractiveChatClient"/> class on the system clock, picking
    /// quotes by words alone.
    /// </summary>
    public OfflineExtractiveChatClient()
        : this(TimeProvider.System)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="OfflineExtractiveChatClient"/> class.</summary>
    /// <param name="timeProvider">The clock for <see cref="ChatResponseUpdate.CreatedAt"/>.</param>
    /// <param name="similarity">
    /// The embedding similarity search uses, to pick quotes by meaning as well as by words; <see langword="null"/>
    /// (no embedding model configured): by words alone.
    /// </param>
    public OfflineExtractiveChatClient(TimeProvider timeProvider, QuoteSimilarity? similarity = null)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        this.timeProvider = timeProvider;
        this.similarity = similarity;
    }

    /// <summary>
    /// Returns the next assistant message: a <c>search_documents</c> call (finish reason
    /// <see cref="ChatFinishReason.ToolCalls"/>) or the quoted answer (<see cref="ChatFinishReason.Stop"/>), with
    /// estimated usage; it is the collected form of <see cref="GetStreamingResponseAsync"/>.
    /// </summary>
    /// <param name="messages">The conversation so far.</param>
    /// <param name="options">The request options; <see cref="ChatOptions.Tools"/> must offer <c>search_documents</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The response.</returns>
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var response = await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);
        response.AdditionalProperties = response.Messages.Count > 0 ? response.Messages[^1].AdditionalProperties?.Clone() : null;
        return response;
    }

    /// <summary>
    /// Streams the next assistant message: either one update with the <c>search_documents</c> call, or the answer text
    /// in updates of about 40 characters; all updates share one message id, and the last carries the usage
    /// (<see cref="UsageContent"/>) and the finish reason.
    /// </summary>
    /// <param name="messages">The conversation so far.</param>
    /// <param name="options">The request options; <see cref="ChatOptions.Tools"/> must offer <c>search_documents</c>.</param>
    /// <param name="cancellationToken">Cancels the stream between updates.</param>
    /// <returns>The updates.</returns>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var conversation = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var turn = await DecideAsync(conversation, options, cancellationToken);
        var id = ShortHash($"{turn.Question}\n{conversation.Count}\n{(turn.Call is null ? "answer" : "call")}");
        var createdAt = timeProvider.GetUtcNow();
        var properties = new AdditionalPropertiesDictionary
        {
            [ModelProviderProperty] = ProviderName,
            [NoteProperty] = Note,
        };

        ChatResponseUpdate Update(
            IList<AIContent> contents, AdditionalPropertiesDictionary? additionalProperties = null, ChatFinishReason? finishReason = null) =>
            new(ChatRole.Assistant, contents)
            {
                MessageId = "msg_" + id,
                ResponseId = "resp_" + id,
                ModelId = ModelId,
                CreatedAt = createdAt,
                AdditionalProperties = additionalProperties,
                FinishReason = finishReason,
            };

        long outputTokens;
        ChatFinishReason finishReason;
        if (turn.Call is { } call)
        {
            await Task.Yield();
            yield return Update([call], properties);
            outputTokens = TokenCounter.Count(call.Name + JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions), ModelId);
            finishReason = ChatFinishReason.ToolCalls;
        }
        else
        {
            var first = true;
            foreach (var chunk in Chunks(turn.Text!))
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Yielding the thread between updates lets a consumer forward each one before the next is produced.
                await Task.Yield();
                yield return Update([new TextContent(chunk)], first ? properties : null);
                first = false;
            }

            outputTokens = TokenCounter.Count(turn.Text, ModelId);
            finishReason = ChatFinishReason.Stop;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var inputTokens = TokenCounter.CountPrompt(conversation, options, ModelId);
        var usage = new UsageDetails
        {
            InputTokenCount = inputTokens,
            OutputTokenCount = outputTokens,
            TotalTokenCount = inputTokens + outputTokens,
        };
        yield return Update([new UsageContent(usage)], finishReason: finishReason);
    }

    /// <summary>
    /// Returns the metadata (provider <c>offline</c>, default model <c>offline-extractive</c>) for
    /// <see cref="ChatClientMetadata"/>, this instance for its own types, and <see langword="null"/> otherwise.
    /// </summary>
    /// <param name="serviceType">The requested service type.</param>
    /// <param name="serviceKey">A service key; any key other than <see langword="null"/> yields <see langword="null"/>.</param>
    /// <returns>The service, or <see langword="null"/>.</returns>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        return serviceType == typeof(ChatClientMetadata) ? Metadata : serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the model holds no resources.</summary>
    public void Dispose()
    {
    }

    // The loop's contract: a new question (no search result after the latest user message) gets a search call; once
    // a search result follows it, the answer quotes it. One search per question, so the loop always terminates.
    private async Task<Turn> DecideAsync(IReadOnlyList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var userIndex = -1;
        for (var i = messages.Count - 1; i >= 0 && userIndex < 0; i--)
        {
            userIndex = messages[i].Role == ChatRole.User ? i : -1;
        }

        var question = userIndex < 0 ? string.Empty : messages[userIndex].Text.Trim();
        if (question.Length == 0)
        {
            return new Turn(question, "Ask a question, and I will search the documents and quote the "
                + "passages that answer it.", null);
        }

        var later = messages.Skip(userIndex + 1).SelectMany(m => m.Contents).ToList();
        var callNames = later.OfType<FunctionCallContent>().GroupBy(c => c.CallId).ToDictionary(g => g.Key, g => g.First().Name);
        var results = new List<string>();
        foreach (var result in later.OfType<FunctionResultContent>())
        {
            var text = TokenCounter.ResultText(result);
            var isSearch = callNames.TryGetValue(result.CallId, out var name)
                ? name == SearchToolName
                : SearchResultParser.TryParse(text, out _);
            if (isSearch)
            {
                results.Add(text);
            }
        }

        if (results.Count == 0)
        {
            if (options?.Tools?.Any(t => t.Name == SearchToolName) != true)
            {
                return new Turn(question, $"I cannot search the documents: the {SearchToolName} tool is not "
                    + "available, and this offline extractive model (not an LLM) can only answer by quoting the passages "
                    + "that search returns.", null);
            }

            var arguments = new Dictionary<string, object?> { ["query"] = question, ["k"] = SearchResultCount };
            var callId = "call_" + ShortHash($"{question}\n{messages.Count}");
            return new Turn(question, null, new FunctionCallContent(callId, SearchToolName, arguments));
        }

        var passages = new List<SearchPassage>();
        var failures = new List<string>();
        foreach (var text in results)
        {
            if (SearchResultParser.TryParse(text, out var parsed))
            {
                passages.AddRange(parsed);
            }
            else
            {
                failures.Add(text);
            }
        }

        if (failures.Count == results.Count)
        {
            var reason = failures[0].Length > 300 ? failures[0][..300] + "…" : failures[0];
            return new Turn(question, $"The {SearchToolName} tool failed, so there are no passages to quote: {reason}", null);
        }

        return new Turn(question, await ExtractiveAnswerComposer.ComposeAsync(question, passages, similarity, cancellationToken), null);
    }

    private static IEnumerable<string> Chunks(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var end = Math.Min(text.Length, start + StreamChunkChars);
            while (end < text.Length && !char.IsWhiteSpace(text[end - 1]))
            {
                end++;
            }

            yield return text[start..end];
            start = end;
        }
    }

    private static string ShortHash(string value) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..16];

    private sealed record Turn(string Question, string? Text, FunctionCallContent? Call);
}
