using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agent.Tests.Fakes;

/// <summary>
/// A FAKE OpenAI-compatible server of ours, for tests only: Kestrel on <c>127.0.0.1</c> with an ephemeral port,
/// serving <c>POST /v1/chat/completions</c> in the Chat Completions wire format, streamed (SSE <c>data: {chunk}</c>
/// lines ending in <c>data: [DONE]</c>, usage on a final chunk with empty <c>choices</c> when
/// <c>stream_options.include_usage</c> is set) or as one JSON completion. It is no model: replies come from queued
/// <see cref="FakeChatReply"/>s first, then from the script (by default <see cref="SearchThenAnswer"/>). Every request
/// is recorded. Wire format after the OpenAI API reference (Chat Completions, "The chat completion chunk object").
/// </summary>
internal sealed class FakeOpenAIServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<FakeChatReply> _replies = new();
    private readonly Lock _requestsLock = new();
    private readonly List<FakeChatRequest> _requests = [];
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new(StringComparer.Ordinal);
    private TaskCompletionSource _requestArrived = NewSignal();
    private volatile Func<FakeChatRequest, FakeChatReply> _script;
    private long _latencyTicks;
    private long _chunkDelayTicks;
    private long _lastId;

    private FakeOpenAIServer(WebApplication app, Func<FakeChatRequest, FakeChatReply> script)
    {
        _app = app;
        _script = script;
    }

    /// <summary>Gets the API base address including <c>/v1</c>, e.g. <c>http://127.0.0.1:41234/v1</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Gets the requests received so far, in arrival order (a snapshot).</summary>
    public IReadOnlyList<FakeChatRequest> Requests
    {
        get
        {
            lock (_requestsLock)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets or sets the time every reply waits before answering. Default is zero.</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set => Interlocked.Exchange(ref _latencyTicks, value.Ticks);
    }

    /// <summary>Gets or sets the time a streamed reply waits before each content word and tool call. Default is zero.</summary>
    public TimeSpan ChunkDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _chunkDelayTicks));
        set => Interlocked.Exchange(ref _chunkDelayTicks, value.Ticks);
    }

    /// <summary>Starts a server on an ephemeral loopback port.</summary>
    /// <param name="script">Decides replies when the queue is empty; default is <see cref="SearchThenAnswer"/>.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The started server; dispose it to stop it.</returns>
    public static async Task<FakeOpenAIServer> StartAsync(
        Func<FakeChatRequest, FakeChatReply>? script = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new FakeOpenAIServer(app, script ?? SearchThenAnswer);
        app.MapPost("/v1/chat/completions", server.HandleAsync);
        // Azure OpenAI's deployment route, as AzureOpenAIClient calls it (the deployment in the path, ?api-version=).
        app.MapPost("/openai/deployments/{deployment}/chat/completions", server.HandleAsync);
        // Test control for clients outside this process (the JS SDK suite): {"latency_ms", "chunk_delay_ms", "open_gate"}.
        app.MapPost("/_control", async (HttpContext context) =>
        {
            var control = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            if (control?["latency_ms"] is JsonValue latency)
            {
                server.Latency = TimeSpan.FromMilliseconds(latency.GetValue<double>());
            }

            if (control?["chunk_delay_ms"] is JsonValue chunkDelay)
            {
                server.ChunkDelay = TimeSpan.FromMilliseconds(chunkDelay.GetValue<double>());
            }

            if (control?["open_gate"] is JsonValue gate)
            {
                server.OpenGate(gate.GetValue<string>());
            }

            return Results.NoContent();
        });
        await app.StartAsync(cancellationToken);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()
            ?? throw new InvalidOperationException("Kestrel reported no addresses.");
        var address = addresses.Addresses.First();
        server.BaseUrl = new Uri(address.TrimEnd('/') + "/v1");
        return server;
    }

    /// <summary>
    /// The default script, a stand-in for a retrieval agent's model: unless the last message is a tool result, it
    /// calls <c>search_documents</c> with <c>{"query": last user text, "k": 3}</c>; after a tool result it answers
    /// with text quoting the first <c>content</c>/<c>text</c>/<c>snippet</c> string of that result (or its start).
    /// </summary>
    /// <param name="request">The request.</param>
    /// <returns>The reply.</returns>
    public static FakeChatReply SearchThenAnswer(FakeChatRequest request)
    {
        var last = request.LastMessage;
        if (last?.Role != "tool")
        {
            return FakeChatReply.ToolCall("search_documents", new { query = request.LastUserText ?? string.Empty, k = 3 });
        }

        return FakeChatReply.Text($"According to the documents: \"{Excerpt(last.Content ?? string.Empty)}\"");
    }

    /// <summary>Replaces the script that decides replies when the queue is empty.</summary>
    /// <param name="script">The new script.</param>
    public void Script(Func<FakeChatRequest, FakeChatReply> script) => _script = script;

    /// <summary>
    /// Gets a named gate for <see cref="FakeChatReply.Gate"/>: it stays closed until <see cref="OpenGate"/> (or
    /// <c>POST /_control {"open_gate": name}</c>, from a script outside this process) opens it, and then stays open.
    /// </summary>
    /// <param name="name">The gate's name.</param>
    /// <returns>A task completing when the gate opens.</returns>
    public Task NamedGate(string name) => _gates.GetOrAdd(name, _ => NewSignal()).Task;

    /// <summary>Opens a named gate (<see cref="NamedGate"/>); opening it again does nothing.</summary>
    /// <param name="name">The gate's name.</param>
    public void OpenGate(string name) => _gates.GetOrAdd(name, _ => NewSignal()).TrySetResult();

    /// <summary>Queues replies; each request takes the next one before the script is asked.</summary>
    /// <param name="replies">The replies, in order.</param>
    public void Enqueue(params FakeChatReply[] replies)
    {
        foreach (var reply in replies)
        {
            _replies.Enqueue(reply);
        }
    }

    /// <summary>Completes once at least <paramref name="count"/> requests have arrived.</summary>
    /// <param name="count">The number of requests to wait for.</param>
    /// <param name="cancellationToken">Ends the wait, e.g. a test's deadline.</param>
    /// <returns>The requests received by then.</returns>
    public async Task<IReadOnlyList<FakeChatRequest>> WaitForRequestsAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task arrived;
            lock (_requestsLock)
            {
                if (_requests.Count >= count)
                {
                    return [.. _requests];
                }

                arrived = _requestArrived.Task;
            }

            await arrived.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Stops the server.</summary>
    /// <returns>A task completing when the server has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task HandleAsync(HttpContext context)
    {
        var aborted = context.RequestAborted;
        using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: aborted);
        var request = Parse(body.RootElement, context.Request.Headers.Authorization.ToString()) with
        {
            ReceivedAt = DateTimeOffset.UtcNow,
            Path = context.Request.Path.Value ?? string.Empty,
            ApiKeyHeader = context.Request.Headers["api-key"].FirstOrDefault(),
        };
        TaskCompletionSource arrived;
        lock (_requestsLock)
        {
            _requests.Add(request);
            arrived = _requestArrived;
            _requestArrived = NewSignal();
        }

        arrived.TrySetResult();

        var reply = _replies.TryDequeue(out var queued) ? queued : _script(request);
        var delay = Latency + reply.Delay;
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, aborted);
        }

        if (reply.Gate is not null)
        {
            await reply.Gate.WaitAsync(aborted);
        }

        if (reply.StatusCode != StatusCodes.Status200OK)
        {
            await WriteErrorAsync(context.Response, reply, aborted);
            return;
        }

        var completion = new Completion(
            $"chatcmpl-fake-{Interlocked.Increment(ref _lastId)}",
            TimeProvider.System.GetUtcNow().ToUnixTimeSeconds(),
            reply.Model ?? request.Model,
            reply.ToolCallList.Select(call => call with { Id = call.Id ?? $"call_fake_{Interlocked.Increment(ref _lastId)}" }).ToList(),
            reply.FinishReason ?? (reply.ToolCallList.Count > 0 ? "tool_calls" : "stop"),
            reply.Usage ?? EstimateUsage(request, reply));

        if (request.Stream)
        {
            await WriteStreamAsync(context.Response, request, reply, completion, ChunkDelay, aborted);
        }
        else
        {
            await context.Response.WriteAsJsonAsync(CompletionJson(reply, completion), aborted);
        }
    }

    private static async Task WriteErrorAsync(HttpResponse response, FakeChatReply reply, CancellationToken cancellationToken)
    {
        response.StatusCode = reply.StatusCode;
        if (reply.RetryAfter is { } retryAfter)
        {
            response.Headers.RetryAfter =
                ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        var type = reply.StatusCode == StatusCodes.Status429TooManyRequests ? "rate_limit_exceeded" : "server_error";
        await response.WriteAsJsonAsync(
            new JsonObject
            {
                ["error"] = new JsonObject
                {
                    ["message"] = $"Fake OpenAI server: scripted status {reply.StatusCode}.",
                    ["type"] = type,
                    ["param"] = null,
                    ["code"] = type,
                },
            },
            cancellationToken);
    }

    private static async Task WriteStreamAsync(
        HttpResponse response, FakeChatRequest request, FakeChatReply reply, Completion completion, TimeSpan chunkDelay,
        CancellationToken cancellationToken)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";

        async Task SendAsync(JsonNode chunk)
        {
            await response.WriteAsync("data: " + chunk.ToJsonString() + "\n\n", cancellationToken);
            await response.Body.FlushAsync(cancellationToken);
        }

        JsonObject Chunk(JsonObject delta, string? finishReason = null)
        {
            var chunk = ChunkHeader(completion);
            chunk["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["delta"] = delta,
                ["logprobs"] = null,
                ["finish_reason"] = finishReason,
            });
            if (request.IncludeUsage)
            {
                chunk["usage"] = null;
            }

            return chunk;
        }

        await SendAsync(Chunk(new JsonObject { ["role"] = "assistant", ["content"] = reply.Content is null ? null : string.Empty }));
        var first = true;
        foreach (var piece in Words(reply.Content ?? string.Empty))
        {
            if (chunkDelay > TimeSpan.Zero)
            {
                await Task.Delay(chunkDelay, cancellationToken);
            }

            await SendAsync(Chunk(new JsonObject { ["content"] = piece }));
            if (first && reply.MidStreamGate is not null)
            {
                await reply.MidStreamGate.WaitAsync(cancellationToken);
            }

            first = false;
        }

        for (var index = 0; index < completion.ToolCalls.Count; index++)
        {
            var call = completion.ToolCalls[index];
            await SendAsync(Chunk(ToolCallDelta(index, new JsonObject
            {
                ["id"] = call.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = string.Empty },
            })));
            foreach (var fragment in Thirds(call.ArgumentsJson))
            {
                await SendAsync(Chunk(ToolCallDelta(index, new JsonObject { ["function"] = new JsonObject { ["arguments"] = fragment } })));
            }
        }

        await SendAsync(Chunk([], completion.FinishReason));
        if (request.IncludeUsage)
        {
            var usageChunk = ChunkHeader(completion);
            usageChunk["choices"] = new JsonArray();
            usageChunk["usage"] = UsageJson(completion.Usage);
            await SendAsync(usageChunk);
        }

        await response.WriteAsync("data: [DONE]\n\n", cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    private static JsonObject ToolCallDelta(int index, JsonObject call)
    {
        call["index"] = index;
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    private static JsonObject ChunkHeader(Completion completion) => new()
    {
        ["id"] = completion.Id,
        ["object"] = "chat.completion.chunk",
        ["created"] = completion.Created,
        ["model"] = completion.Model,
        ["system_fingerprint"] = "fp_fake",
    };

    private static JsonObject CompletionJson(FakeChatReply reply, Completion completion)
    {
        var message = new JsonObject { ["role"] = "assistant", ["content"] = reply.Content, ["refusal"] = null };
        if (completion.ToolCalls.Count > 0)
        {
            message["tool_calls"] = new JsonArray([.. completion.ToolCalls.Select(call => (JsonNode)new JsonObject
            {
                ["id"] = call.Id,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = call.Name, ["arguments"] = call.ArgumentsJson },
            })]);
        }

        return new JsonObject
        {
            ["id"] = completion.Id,
            ["object"] = "chat.completion",
            ["created"] = completion.Created,
            ["model"] = completion.Model,
            ["system_fingerprint"] = "fp_fake",
            ["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["message"] = message,
                ["logprobs"] = null,
                ["finish_reason"] = completion.FinishReason,
            }),
            ["usage"] = UsageJson(completion.Usage),
        };
    }

    private static JsonObject UsageJson(FakeUsage usage) => new()
    {
        ["prompt_tokens"] = usage.InputTokens,
        ["completion_tokens"] = usage.OutputTokens,
        ["total_tokens"] = usage.TotalTokens,
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedInputTokens, ["audio_tokens"] = 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0, ["audio_tokens"] = 0 },
    };

    private static FakeChatRequest Parse(JsonElement root, string authorization)
    {
        var messages = new List<FakeChatMessage>();
        foreach (var message in Array(root, "messages"))
        {
            var toolCalls = Array(message, "tool_calls")
                .Select(call => new FakeToolCall(
                    String(call, "id"),
                    String(call.GetProperty("function"), "name") ?? string.Empty,
                    String(call.GetProperty("function"), "arguments") ?? string.Empty))
                .ToList();
            messages.Add(new FakeChatMessage(
                String(message, "role") ?? string.Empty, ContentText(message), String(message, "tool_call_id"), toolCalls));
        }

        var tools = Array(root, "tools")
            .Where(tool => tool.TryGetProperty("function", out _))
            .Select(tool => tool.GetProperty("function"))
            .Select(function => new FakeTool(
                String(function, "name") ?? string.Empty,
                String(function, "description"),
                function.TryGetProperty("parameters", out var parameters) ? parameters.Clone() : default))
            .ToList();

        return new FakeChatRequest(
            String(root, "model") ?? string.Empty,
            root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True,
            root.TryGetProperty("stream_options", out var streamOptions)
                && streamOptions.ValueKind == JsonValueKind.Object
                && streamOptions.TryGetProperty("include_usage", out var includeUsage)
                && includeUsage.ValueKind == JsonValueKind.True,
            messages,
            tools,
            root.TryGetProperty("temperature", out var temperature) && temperature.ValueKind == JsonValueKind.Number
                ? temperature.GetDouble()
                : null,
            Int(root, "max_completion_tokens") ?? Int(root, "max_tokens"),
            string.IsNullOrEmpty(authorization) ? null : authorization,
            root.Clone());
    }

    private static JsonElement[] Array(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : [];

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt32() : null;

    // Content is a string, an array of parts ({"type":"text","text":...}), or null beside tool calls.
    private static string? ContentText(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return null;
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString(),
            JsonValueKind.Array => string.Concat(content.EnumerateArray().Select(part => String(part, "text"))),
            _ => null,
        };
    }

    private static FakeUsage EstimateUsage(FakeChatRequest request, FakeChatReply reply)
    {
        var inputCharacters = request.Messages.Sum(m => (m.Content?.Length ?? 0) + m.ToolCalls.Sum(c => c.ArgumentsJson.Length));
        var outputCharacters = (reply.Content?.Length ?? 0) + reply.ToolCallList.Sum(c => c.Name.Length + c.ArgumentsJson.Length);
        return new FakeUsage(Math.Max(1, inputCharacters / 4), Math.Max(1, outputCharacters / 4));
    }

    // "Hello big world" → "Hello", " big", " world": several deltas, as a model streams tokens.
    private static IEnumerable<string> Words(string text)
    {
        var start = 0;
        for (var i = 1; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ' ')
            {
                yield return text[start..i];
                start = i;
            }
        }
    }

    // Splits tool arguments into three fragments so clients must join them by index.
    private static IEnumerable<string> Thirds(string text)
    {
        var size = Math.Max(1, (text.Length + 2) / 3);
        for (var start = 0; start < text.Length; start += size)
        {
            yield return text.Substring(start, Math.Min(size, text.Length - start));
        }
    }

    private static string Excerpt(string toolResult)
    {
        string? quoted = null;
        try
        {
            using var document = JsonDocument.Parse(toolResult);
            quoted = FirstText(document.RootElement);
        }
        catch (JsonException)
        {
            // Not JSON: quote the text itself.
        }

        quoted ??= toolResult;
        quoted = quoted.ReplaceLineEndings(" ").Trim();
        return quoted.Length <= 120 ? quoted : quoted[..120];
    }

    private static string? FirstText(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Name is "content" or "text" or "snippet" && property.Value.ValueKind == JsonValueKind.String)
                    {
                        return property.Value.GetString();
                    }
                }

                foreach (var property in element.EnumerateObject())
                {
                    if (FirstText(property.Value) is { } nested)
                    {
                        return nested;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (FirstText(item) is { } nested)
                    {
                        return nested;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    private sealed record Completion(
        string Id, long Created, string Model, IReadOnlyList<FakeToolCall> ToolCalls, string FinishReason, FakeUsage Usage);
}
