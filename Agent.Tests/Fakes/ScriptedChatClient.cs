using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Fakes;

/// <summary>
/// A scripted <see cref="IChatClient"/> for unit tests: answers each call with the next scripted response (or
/// by a function of the conversation) and records every call it received.
/// </summary>
internal sealed class ScriptedChatClient(Func<IReadOnlyList<ChatMessage>, ChatOptions?, int, ChatResponse> reply) : IChatClient
{
    private readonly List<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> calls = [];

    /// <summary>Initializes a new instance of the <see cref="ScriptedChatClient"/> class that replies in order.</summary>
    /// <param name="responses">The responses, one per call.</param>
    public ScriptedChatClient(params ChatResponse[] responses)
        : this((_, _, call) => responses[call])
    {
    }

    /// <summary>Gets the calls received, in order.</summary>
    public IReadOnlyList<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Calls => calls;

    /// <summary>Gets or sets a hook run at the start of each call (e.g. to block or throw).</summary>
    public Func<int, CancellationToken, Task>? BeforeCall { get; set; }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        int index;
        lock (calls)
        {
            index = calls.Count;
            calls.Add((list, options));
        }

        if (BeforeCall is not null)
        {
            await BeforeCall(index, cancellationToken);
        }

        foreach (var update in reply(list, options, index).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", null, "scripted-model") : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    /// <summary>Builds a response that calls one tool.</summary>
    /// <param name="callId">The tool call id.</param>
    /// <param name="name">The tool name.</param>
    /// <param name="arguments">The arguments.</param>
    /// <returns>The response, with usage 10 in / 5 out.</returns>
    public static ChatResponse ToolCall(string callId, string name, Dictionary<string, object?> arguments) =>
        new(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(callId, name, arguments)]))
        {
            ModelId = "scripted-model",
            FinishReason = ChatFinishReason.ToolCalls,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
        };

    /// <summary>Builds a response that answers with text.</summary>
    /// <param name="text">The answer.</param>
    /// <returns>The response, with usage 20 in / 7 out.</returns>
    public static ChatResponse Answer(string text) =>
        new(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = "scripted-model",
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 7, TotalTokenCount = 27 },
        };
}
