using System.ClientModel;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Agent.Worker.Telemetry;
using Microsoft.Extensions.AI;
using OpenAI;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;
using OpenAIChatClientCore = OpenAI.Chat.ChatClient;
using OpenAIChatFinishReason = OpenAI.Chat.ChatFinishReason;
using OpenAIChatTokenUsage = OpenAI.Chat.ChatTokenUsage;
using OpenAIStreamingUpdate = OpenAI.Chat.StreamingChatCompletionUpdate;

namespace Agent.Worker.Models.OpenAI;

/// <summary>
/// An <see cref="IChatClient"/> over the official OpenAI SDK's Chat Completions client, reaching OpenAI, Azure OpenAI
/// (v1 endpoint) or any OpenAI-compatible server. Every call streams; <see cref="GetResponseAsync"/> collects the
/// stream, so both paths map requests and responses the same way. SDK errors (<see cref="ClientResultException"/>)
/// surface unchanged once the SDK's own retries are spent.
/// </summary>
internal sealed partial class OpenAIChatClient : IChatClient
{
    /// <summary>The endpoint the SDK uses when none is configured.</summary>
    internal static readonly Uri OpenAIEndpoint = new("https://api.openai.com/v1");

    private readonly OpenAIClient _client;
    private readonly string _defaultModel;
    private readonly ChatClientMetadata _metadata;

    // A ChatClient is bound to one model; clients share the OpenAIClient's pipeline, so one per model is cheap.
    private readonly ConcurrentDictionary<string, OpenAIChatClientCore> _chatClients = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="OpenAIChatClient"/> class.</summary>
    /// <param name="options">The provider options; <see cref="OpenAIProviderOptions.ApiKey"/> must be set.</param>
    /// <exception cref="ArgumentException">The API key or the default model is blank.</exception>
    public OpenAIChatClient(OpenAIProviderOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ApiKey, nameof(options));
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DefaultModel, nameof(options));

        var endpoint = options.BaseUrl ?? OpenAIEndpoint;
        _client = new OpenAIClient(new ApiKeyCredential(options.ApiKey), new OpenAIClientOptions
        {
            Endpoint = endpoint,
            NetworkTimeout = options.NetworkTimeout,
            RetryPolicy = new MeteredRetryPolicy(options.MaxRetries),
        });
        _defaultModel = options.DefaultModel;
        _metadata = new ChatClientMetadata(ProviderNameOf(endpoint), endpoint, options.DefaultModel);
    }

    /// <inheritdoc/>
    public Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <summary>
    /// Streams one chat completion: a <see cref="TextContent"/> update per text delta as it arrives, then one final
    /// update with the accumulated <see cref="FunctionCallContent"/>s, the <see cref="UsageContent"/> (when the server
    /// reports usage) and the finish reason. All updates carry the completion id as message and response id.
    /// </summary>
    /// <param name="messages">The conversation so far.</param>
    /// <param name="options">The model, tools and sampling settings; the model defaults to the configured one.</param>
    /// <param name="cancellationToken">Cancels the request and the stream.</param>
    /// <returns>The updates, in arrival order.</returns>
    /// <exception cref="ClientResultException">The server answered with an error status after the SDK's retries.</exception>
    /// <exception cref="NotSupportedException">A message holds content this adapter cannot send (images, files).</exception>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var model = string.IsNullOrWhiteSpace(options?.ModelId) ? _defaultModel : options.ModelId;
        var chatClient = _chatClients.GetOrAdd(model, _client.GetChatClient);
        var requestMessages = ToOpenAIMessages(messages);
        var requestOptions = ToOpenAIOptions(options);

        string? completionId = null;
        string? responseModel = null;
        DateTimeOffset? createdAt = null;
        OpenAIChatFinishReason? finishReason = null;
        OpenAIChatTokenUsage? usage = null;
        var refusal = new StringBuilder();

        // Tool calls arrive as fragments keyed by index: the first carries id and name, later ones argument text.
        var toolCalls = new SortedDictionary<int, ToolCallBuilder>();

        await foreach (var update in chatClient.CompleteChatStreamingAsync(requestMessages, requestOptions, cancellationToken))
        {
            completionId ??= update.CompletionId;
            responseModel ??= NullIfEmpty(update.Model);
            createdAt ??= update.CreatedAt == default ? null : update.CreatedAt;
            finishReason = update.FinishReason ?? finishReason;
            usage = update.Usage ?? usage;
            refusal.Append(update.RefusalUpdate);

            foreach (var toolCallUpdate in update.ToolCallUpdates)
            {
                if (!toolCalls.TryGetValue(toolCallUpdate.Index, out var builder))
                {
                    builder = new ToolCallBuilder();
                    toolCalls.Add(toolCallUpdate.Index, builder);
                }

                builder.Append(toolCallUpdate.ToolCallId, toolCallUpdate.FunctionName, toolCallUpdate.FunctionArgumentsUpdate);
            }

            var text = TextOf(update);
            if (text.Length > 0)
            {
                yield return NewUpdate([new TextContent(text) { RawRepresentation = update }], update);
            }
        }

        var finalContents = new List<AIContent>();
        foreach (var builder in toolCalls.Values)
        {
            finalContents.Add(builder.Build());
        }

        if (refusal.Length > 0)
        {
            finalContents.Add(new ErrorContent(refusal.ToString()) { ErrorCode = "refusal" });
        }

        if (usage is not null)
        {
            finalContents.Add(new UsageContent(ToUsageDetails(usage)) { RawRepresentation = usage });
        }

        var final = NewUpdate(finalContents, rawRepresentation: null);
        final.FinishReason = ToFinishReason(finishReason);
        yield return final;

        ChatResponseUpdate NewUpdate(IList<AIContent> contents, OpenAIStreamingUpdate? rawRepresentation) =>
            new(ChatRole.Assistant, contents)
            {
                MessageId = completionId,
                ResponseId = completionId,
                ModelId = responseModel ?? model,
                CreatedAt = createdAt,
                RawRepresentation = rawRepresentation,
            };
    }

    /// <summary>
    /// Returns <see cref="ChatClientMetadata"/> (provider name <c>openai</c>, or <c>azure.ai.openai</c> for
    /// <c>*.openai.azure.com</c>, after the GenAI semantic conventions' <c>gen_ai.provider.name</c>), the SDK's
    /// <see cref="OpenAIClient"/>, or this client; <see langword="null"/> for anything else or a non-null key.
    /// </summary>
    /// <param name="serviceType">The requested type.</param>
    /// <param name="serviceKey">A key; this client offers no keyed services.</param>
    /// <returns>The service, or <see langword="null"/>.</returns>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }

        if (serviceType == typeof(OpenAIClient))
        {
            return _client;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <summary>Does nothing: the SDK's clients hold no disposable resources of their own.</summary>
    public void Dispose()
    {
    }

    /// <summary>
    /// Names the provider after the host, as <c>gen_ai.provider.name</c> spells it: <c>azure.ai.openai</c> for
    /// <c>*.openai.azure.com</c>, otherwise <c>openai</c> (Ollama, vLLM and others speak the OpenAI API).
    /// </summary>
    internal static string ProviderNameOf(Uri endpoint) =>
        endpoint.Host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase) ? "azure.ai.openai" : "openai";

    private static string TextOf(OpenAIStreamingUpdate update)
    {
        if (update.ContentUpdate.Count == 1)
        {
            return update.ContentUpdate[0].Text ?? string.Empty;
        }

        var text = new StringBuilder();
        foreach (var part in update.ContentUpdate)
        {
            text.Append(part.Text);
        }

        return text.ToString();
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    /// <summary>Accumulates the fragments of one streamed tool call.</summary>
    private sealed class ToolCallBuilder
    {
        private readonly StringBuilder _arguments = new();
        private string? _id;
        private string? _name;

        public void Append(string? id, string? name, BinaryData? argumentsFragment)
        {
            _id ??= NullIfEmpty(id);
            _name ??= NullIfEmpty(name);
            if (argumentsFragment is not null)
            {
                _arguments.Append(argumentsFragment.ToString());
            }
        }

        /// <summary>
        /// Builds the call with parsed arguments; unparsable arguments leave <see cref="FunctionCallContent.Exception"/>
        /// set instead of throwing, so the loop can tell the model.
        /// </summary>
        public FunctionCallContent Build() =>
            FunctionCallContent.CreateFromParsedArguments(
                _arguments.ToString(),
                _id ?? string.Empty,
                _name ?? string.Empty,
                ParseArguments);
    }
}
