using System.ClientModel;
using System.Runtime.CompilerServices;
using Agent.Worker.Telemetry;
using Azure.AI.OpenAI;
using Azure.Identity;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Agent.Worker.Models.OpenAI;

/// <summary>
/// The OpenAI-compatible chat model: the OpenAI SDK's Chat Completions client as an <see cref="IChatClient"/> through
/// Microsoft.Extensions.AI.OpenAI's <c>AsIChatClient()</c>, reaching OpenAI, any OpenAI-compatible server (Ollama,
/// vLLM, LiteLLM) or, through Azure.AI.OpenAI's <see cref="AzureOpenAIClient"/>, an Azure OpenAI resource with an API
/// key or Microsoft Entra ID (<see cref="DefaultAzureCredential"/>). SDK errors (<see cref="ClientResultException"/>,
/// with the response and its <c>Retry-After</c>) surface unchanged once the SDK's own retries are spent.
/// </summary>
/// <remarks>
/// Two things are ours on top of the library: the provider name, after the GenAI semantic conventions'
/// <c>gen_ai.provider.name</c> (the library says <c>openai</c> for every endpoint), and where a stream reports its
/// usage. The server sends usage in a chunk of its own, after which the library emits the accumulated tool calls;
/// this client moves the <see cref="UsageContent"/> onto the stream's last update, so the last update carries the
/// finish reason, the tool calls and the usage together, as one completion does.
/// </remarks>
internal sealed class OpenAIChatClient : DelegatingChatClient
{
    /// <summary>The endpoint the SDK uses when none is configured.</summary>
    internal static readonly Uri OpenAIEndpoint = new("https://api.openai.com/v1");

    private readonly ChatClientMetadata _metadata;

    /// <summary>Initializes a new instance of the <see cref="OpenAIChatClient"/> class.</summary>
    /// <param name="options">
    /// The provider options: an API key, unless <see cref="OpenAIProviderOptions.AzureEndpoint"/> is set (no key there
    /// means Microsoft Entra ID).
    /// </param>
    /// <exception cref="ArgumentException">The API key (OpenAI) or the default model is blank.</exception>
    public OpenAIChatClient(OpenAIProviderOptions options)
        : base(CreateInner(options))
    {
        var endpoint = options.AzureEndpoint ?? options.BaseUrl ?? OpenAIEndpoint;
        var providerName = options.AzureEndpoint is not null ? AzureProviderName : ProviderNameOf(endpoint);
        _metadata = new ChatClientMetadata(providerName, endpoint, options.DefaultModel);
    }

    /// <summary>The <c>gen_ai.provider.name</c> of Azure OpenAI.</summary>
    internal const string AzureProviderName = "azure.ai.openai";

    /// <summary>
    /// Streams one chat completion: text updates as they arrive, then the tool calls, the finish reason and the
    /// <see cref="UsageContent"/> (when the server reports usage) on the last update. All updates carry the completion
    /// id as message and response id.
    /// </summary>
    /// <param name="messages">The conversation so far.</param>
    /// <param name="options">The model, tools and sampling settings; the model defaults to the configured one.</param>
    /// <param name="cancellationToken">Cancels the request and the stream.</param>
    /// <returns>The updates, in arrival order.</returns>
    /// <exception cref="ClientResultException">The server answered with an error status after the SDK's retries.</exception>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Updates without text are held back one step, so the usage that arrives before the last of them can join it;
        // text goes out at once.
        ChatResponseUpdate? held = null;
        UsageContent? usage = null;
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            if (update.Contents.OfType<UsageContent>().LastOrDefault() is { } reported)
            {
                usage = reported;
                RemoveUsage(update.Contents);
                if (update.Contents.Count == 0 && held is not null)
                {
                    held.FinishReason ??= update.FinishReason;
                    continue;
                }
            }

            if (held is not null)
            {
                yield return held;
                held = null;
            }

            if (update.Contents.Any(c => c is TextContent))
            {
                yield return update;
            }
            else
            {
                held = update;
            }
        }

        if (held is null && usage is null)
        {
            yield break;
        }

        held ??= new ChatResponseUpdate(ChatRole.Assistant, []);
        if (usage is not null)
        {
            held.Contents.Add(usage);
        }

        yield return held;
    }

    /// <summary>
    /// Returns <see cref="ChatClientMetadata"/> (provider name <c>openai</c>, or <c>azure.ai.openai</c> for Azure
    /// OpenAI; the endpoint; the default model), else what the library's client offers (e.g. the SDK's
    /// <c>ChatClient</c>).
    /// </summary>
    /// <param name="serviceType">The requested type.</param>
    /// <param name="serviceKey">A key; this client offers no keyed services.</param>
    /// <returns>The service, or <see langword="null"/>.</returns>
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata : base.GetService(serviceType, serviceKey);

    /// <summary>
    /// Names the provider after the host, as <c>gen_ai.provider.name</c> spells it: <c>azure.ai.openai</c> for
    /// <c>*.openai.azure.com</c>, otherwise <c>openai</c> (Ollama, vLLM and others speak the OpenAI API).
    /// </summary>
    internal static string ProviderNameOf(Uri endpoint) =>
        endpoint.Host.EndsWith(".openai.azure.com", StringComparison.OrdinalIgnoreCase) ? AzureProviderName : "openai";

    private static IChatClient CreateInner(OpenAIProviderOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DefaultModel, nameof(options));
        OpenAIClient client;
        if (options.AzureEndpoint is { } azureEndpoint)
        {
            var azureOptions = new AzureOpenAIClientOptions
            {
                NetworkTimeout = options.NetworkTimeout,
                RetryPolicy = new MeteredRetryPolicy(options.MaxRetries),
            };
            client = string.IsNullOrWhiteSpace(options.ApiKey)
                ? new AzureOpenAIClient(azureEndpoint, new DefaultAzureCredential(), azureOptions)
                : new AzureOpenAIClient(azureEndpoint, new ApiKeyCredential(options.ApiKey), azureOptions);
        }
        else
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(options.ApiKey, nameof(options));
            client = new OpenAIClient(new ApiKeyCredential(options.ApiKey), new OpenAIClientOptions
            {
                Endpoint = options.BaseUrl ?? OpenAIEndpoint,
                NetworkTimeout = options.NetworkTimeout,
                RetryPolicy = new MeteredRetryPolicy(options.MaxRetries),
            });
        }

        // A per-call ChatOptions.ModelId replaces this default model in the request (the library writes "model").
        return client.GetChatClient(options.DefaultModel).AsIChatClient();
    }

    private static void RemoveUsage(IList<AIContent> contents)
    {
        for (var i = contents.Count - 1; i >= 0; i--)
        {
            if (contents[i] is UsageContent)
            {
                contents.RemoveAt(i);
            }
        }
    }
}
