using System.Text.Json;

namespace Agent.Tests.Fakes;

// The request and reply shapes of FakeOpenAIServer, kept together so the fake stays in two files.

/// <summary>
/// One chat completions request as <see cref="FakeOpenAIServer"/> received it: the parsed fields tests assert on and
/// the raw body for anything else.
/// </summary>
/// <param name="Model">The <c>model</c> field.</param>
/// <param name="Stream">The <c>stream</c> field; <see langword="false"/> when absent.</param>
/// <param name="IncludeUsage">The <c>stream_options.include_usage</c> field; <see langword="false"/> when absent.</param>
/// <param name="Messages">The <c>messages</c>, in order.</param>
/// <param name="Tools">The function <c>tools</c> offered, in order.</param>
/// <param name="Temperature">The <c>temperature</c> field, if sent.</param>
/// <param name="MaxTokens">The <c>max_completion_tokens</c> (or legacy <c>max_tokens</c>) field, if sent.</param>
/// <param name="Authorization">The <c>Authorization</c> header, e.g. <c>Bearer sk-test</c>.</param>
/// <param name="Body">The whole JSON body (a clone that outlives the request).</param>
internal sealed record FakeChatRequest(
    string Model,
    bool Stream,
    bool IncludeUsage,
    IReadOnlyList<FakeChatMessage> Messages,
    IReadOnlyList<FakeTool> Tools,
    double? Temperature,
    int? MaxTokens,
    string? Authorization,
    JsonElement Body)
{
    /// <summary>Gets when the server received the request (UTC).</summary>
    public DateTimeOffset ReceivedAt { get; init; }

    /// <summary>Gets the request path, e.g. <c>/v1/chat/completions</c> or Azure's <c>/openai/deployments/{name}/chat/completions</c>.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>Gets the <c>api-key</c> header (how Azure OpenAI takes a key), or <see langword="null"/>.</summary>
    public string? ApiKeyHeader { get; init; }

    /// <summary>Gets the last message, or <see langword="null"/> when there is none.</summary>
    public FakeChatMessage? LastMessage => Messages.Count == 0 ? null : Messages[^1];

    /// <summary>Gets the text of the last <c>user</c> message, or <see langword="null"/> when there is none.</summary>
    public string? LastUserText => Messages.LastOrDefault(m => m.Role == "user")?.Content;
}

/// <summary>One message of a request.</summary>
/// <param name="Role"><c>system</c>, <c>developer</c>, <c>user</c>, <c>assistant</c> or <c>tool</c>.</param>
/// <param name="Content">The text (text parts joined), or <see langword="null"/> when the message has none.</param>
/// <param name="ToolCallId">The <c>tool_call_id</c> of a tool message.</param>
/// <param name="ToolCalls">The <c>tool_calls</c> of an assistant message; empty otherwise.</param>
internal sealed record FakeChatMessage(string Role, string? Content, string? ToolCallId, IReadOnlyList<FakeToolCall> ToolCalls);

/// <summary>One function tool offered in a request.</summary>
/// <param name="Name">The function name.</param>
/// <param name="Description">The description, if sent.</param>
/// <param name="Parameters">The JSON Schema of the arguments (<c>undefined</c> kind when absent).</param>
internal sealed record FakeTool(string Name, string? Description, JsonElement Parameters);

/// <summary>One tool call, in a request's assistant message or in a scripted reply.</summary>
/// <param name="Id">The call id; in a reply, <see langword="null"/> lets the server make one up (<c>call_fake_N</c>).</param>
/// <param name="Name">The function name.</param>
/// <param name="ArgumentsJson">The arguments as JSON text, exactly as sent on the wire.</param>
internal sealed record FakeToolCall(string? Id, string Name, string ArgumentsJson)
{
    /// <summary>Gets the arguments parsed.</summary>
    public JsonElement Arguments => JsonDocument.Parse(ArgumentsJson).RootElement.Clone();
}

/// <summary>Token counts a reply reports.</summary>
/// <param name="InputTokens">The <c>prompt_tokens</c>.</param>
/// <param name="OutputTokens">The <c>completion_tokens</c>.</param>
/// <param name="CachedInputTokens">The <c>prompt_tokens_details.cached_tokens</c>, a subset of the input tokens.</param>
internal sealed record FakeUsage(int InputTokens, int OutputTokens, int CachedInputTokens = 0)
{
    /// <summary>Gets the <c>total_tokens</c>: input plus output.</summary>
    public int TotalTokens => InputTokens + OutputTokens;
}

/// <summary>
/// What <see cref="FakeOpenAIServer"/> answers to one request: text, tool calls, or an error status. Build one with
/// <see cref="Text"/>, <see cref="ToolCall"/>, <see cref="ToolCalls"/> or <see cref="Error"/>, then adjust it with
/// <c>with</c> (delays, gates, usage, finish reason).
/// </summary>
internal sealed record FakeChatReply
{
    /// <summary>Gets the answer text, streamed a word at a time; <see langword="null"/> for none.</summary>
    public string? Content { get; init; }

    /// <summary>Gets the tool calls, each one's arguments streamed in three fragments.</summary>
    public IReadOnlyList<FakeToolCall> ToolCallList { get; init; } = [];

    /// <summary>Gets the HTTP status; anything but 200 sends an OpenAI-shaped error body instead of a completion.</summary>
    public int StatusCode { get; init; } = 200;

    /// <summary>Gets the <c>Retry-After</c> header sent with an error status (whole seconds, rounded up).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Gets the usage to report; <see langword="null"/> estimates it as characters / 4 of request and reply.</summary>
    public FakeUsage? Usage { get; init; }

    /// <summary>
    /// Gets the <c>finish_reason</c>; <see langword="null"/> means <c>tool_calls</c> when there are calls, else <c>stop</c>.
    /// </summary>
    public string? FinishReason { get; init; }

    /// <summary>Gets the model the reply names; <see langword="null"/> echoes the request's model.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the time the server waits before answering, on top of <see cref="FakeOpenAIServer.Latency"/>.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Gets a task the server awaits before answering, so a test can hold a reply in flight.</summary>
    public Task? Gate { get; init; }

    /// <summary>Gets a task a streamed reply awaits after its first content chunk, so a test can stall a stream midway.</summary>
    public Task? MidStreamGate { get; init; }

    /// <summary>Creates a text answer.</summary>
    /// <param name="content">The answer.</param>
    /// <param name="usage">The usage to report; estimated when omitted.</param>
    /// <returns>The reply.</returns>
    public static FakeChatReply Text(string content, FakeUsage? usage = null) => new() { Content = content, Usage = usage };

    /// <summary>Creates a reply calling one function.</summary>
    /// <param name="name">The function name.</param>
    /// <param name="arguments">The arguments, serialised as JSON (an anonymous object works).</param>
    /// <param name="id">The call id; made up by the server when omitted.</param>
    /// <returns>The reply.</returns>
    public static FakeChatReply ToolCall(string name, object arguments, string? id = null) =>
        ToolCalls(new FakeToolCall(id, name, JsonSerializer.Serialize(arguments)));

    /// <summary>Creates a reply calling several functions at once.</summary>
    /// <param name="calls">The calls, in order.</param>
    /// <returns>The reply.</returns>
    public static FakeChatReply ToolCalls(params FakeToolCall[] calls) => new() { ToolCallList = calls };

    /// <summary>Creates an error reply, e.g. 429 with <c>Retry-After</c> or 500.</summary>
    /// <param name="statusCode">The HTTP status.</param>
    /// <param name="retryAfter">The <c>Retry-After</c> to send, if any.</param>
    /// <returns>The reply.</returns>
    public static FakeChatReply Error(int statusCode, TimeSpan? retryAfter = null) =>
        new() { StatusCode = statusCode, RetryAfter = retryAfter };
}
