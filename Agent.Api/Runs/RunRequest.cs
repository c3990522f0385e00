using System.Text.Json.Nodes;
using Agent.Api.Http;

namespace Agent.Api.Runs;

/// <summary>
/// A validated run-creation body (LangGraph Server API <c>RunCreateStateful</c> / <c>RunCreateStateless</c>,
/// reference/langgraph-server-api.md section 2.2).
/// </summary>
internal sealed record RunRequest
{
    /// <summary>The <c>recursion_limit</c> when none is given: 25, LangGraph's default.</summary>
    public const int DefaultRecursionLimit = 25;

    /// <summary>Gets the assistant id or graph name.</summary>
    public required string AssistantId { get; init; }

    /// <summary>Gets the input messages, normalised to LangChain form with ids (possibly empty).</summary>
    public required JsonArray InputMessages { get; init; }

    /// <summary>Gets the run's metadata object.</summary>
    public required JsonObject Metadata { get; init; }

    /// <summary>Gets the stream modes.</summary>
    public required IReadOnlyList<string> StreamModes { get; init; }

    /// <summary>Gets the step limit.</summary>
    public required int RecursionLimit { get; init; }

    /// <summary>Gets the multitask strategy: <c>enqueue</c> (default) or <c>reject</c>.</summary>
    public required string MultitaskStrategy { get; init; }

    /// <summary>Gets whether a missing thread is created (<c>if_not_exists=create</c>) instead of a 404.</summary>
    public required bool CreateThreadIfMissing { get; init; }

    /// <summary>Gets whether a client disconnect cancels the run (<c>on_disconnect=cancel</c>). Default is continue.</summary>
    public required bool CancelOnDisconnect { get; init; }

    /// <summary>Gets whether a stateless run's thread is deleted when it ends (<c>on_completion=delete</c>, the default).</summary>
    public required bool DeleteThreadOnCompletion { get; init; }

    /// <summary>Gets LangGraph's <c>kwargs</c>: what was submitted, as stored on the run.</summary>
    public required JsonObject Kwargs { get; init; }

    private static readonly string[] Unsupported =
        ["command", "checkpoint", "checkpoint_id", "webhook", "after_seconds", "interrupt_before", "interrupt_after", "feedback_keys",
         "langsmith_tracer"];

    /// <summary>Validates a body.</summary>
    /// <param name="body">The JSON body.</param>
    /// <param name="stateless">Whether the run is stateless (<c>/runs/...</c>).</param>
    /// <param name="limits">The input bounds (messages, message length, recursion limit). Default <see cref="ApiLimits.Default"/>.</param>
    /// <returns>The request, or a 422 detail naming the field at fault.</returns>
    public static (RunRequest? Request, string? Error) Parse(JsonObject body, bool stateless, ApiLimits? limits = null)
    {
        limits ??= ApiLimits.Default;
        if (body["assistant_id"] is not JsonValue assistantValue || !assistantValue.TryGetValue<string>(out var assistantId)
            || string.IsNullOrWhiteSpace(assistantId))
        {
            return (null, "assistant_id is required: an assistant id or a graph name such as 'agent'.");
        }

        // Accepted-but-unsupported fields are refused by name rather than silently ignored.
        var unsupported = Unsupported.FirstOrDefault(f => body[f] is not null);
        if (unsupported is not null)
        {
            return (null, $"{unsupported} is not supported by this server yet.");
        }

        var input = body["input"];
        JsonArray messages = [];
        if (input is JsonObject inputObject)
        {
            var (normalized, error) = InputMessageNormalizer.Normalize(inputObject["messages"], limits);
            if (error is not null)
            {
                return (null, error);
            }

            messages = normalized!;
        }
        else if (input is not null)
        {
            return (null, "input must be an object such as {\"messages\": [{\"role\": \"user\", \"content\": \"...\"}]}.");
        }

        if (body["metadata"] is { } metadataNode && metadataNode is not JsonObject)
        {
            return (null, "metadata must be an object.");
        }

        var config = body["config"];
        if (config is not null and not JsonObject)
        {
            return (null, "config must be an object.");
        }

        var recursionLimit = DefaultRecursionLimit;
        if (config?["recursion_limit"] is { } limitNode)
        {
            if (limitNode is not JsonValue limitValue || !limitValue.TryGetValue<int>(out recursionLimit))
            {
                return (null, "config.recursion_limit must be an integer.");
            }

            if (recursionLimit < 1 || recursionLimit > limits.MaxRecursionLimit)
            {
                return (null, $"config.recursion_limit must be between 1 and {limits.MaxRecursionLimit}.");
            }
        }

        if (config?["configurable"] is { } configurable && configurable is not JsonObject)
        {
            return (null, "config.configurable must be an object.");
        }

        var (modes, modeError) = global::Agent.Api.Streaming.StreamModes.Parse(body["stream_mode"]);
        if (modeError is not null)
        {
            return (null, modeError);
        }

        // A value of the wrong type is refused, not read as absent: {"multitask_strategy": 5} must not mean "enqueue".
        var mistyped = new[] { "multitask_strategy", "if_not_exists", "on_disconnect", "on_completion" }
            .FirstOrDefault(f => body[f] is { } node && (node is not JsonValue value || !value.TryGetValue<string>(out _)));
        if (mistyped is not null)
        {
            return (null, $"{mistyped} must be a string.");
        }

        var strategy = Text(body, "multitask_strategy") ?? "enqueue";
        if (strategy is "interrupt" or "rollback")
        {
            return (null, $"multitask_strategy '{strategy}' is not supported by this server yet; use 'enqueue' or 'reject'.");
        }

        if (strategy is not ("enqueue" or "reject"))
        {
            return (null, "multitask_strategy must be one of reject, enqueue, interrupt, rollback.");
        }

        var ifNotExists = Text(body, "if_not_exists") ?? "reject";
        if (ifNotExists is not ("create" or "reject"))
        {
            return (null, "if_not_exists must be 'create' or 'reject'.");
        }

        var onDisconnect = Text(body, "on_disconnect") ?? "continue";
        if (onDisconnect is not ("cancel" or "continue"))
        {
            return (null, "on_disconnect must be 'cancel' or 'continue'.");
        }

        var onCompletion = Text(body, "on_completion") ?? (stateless ? "delete" : "keep");
        if (onCompletion is not ("delete" or "keep"))
        {
            return (null, "on_completion must be 'delete' or 'keep'.");
        }

        var kwargsConfig = config?.DeepClone() as JsonObject ?? [];
        kwargsConfig["recursion_limit"] = recursionLimit;
        var kwargs = new JsonObject
        {
            ["input"] = new JsonObject { ["messages"] = messages.DeepClone() },
            ["config"] = kwargsConfig,
            ["stream_mode"] = new JsonArray(modes.Select(m => (JsonNode?)JsonValue.Create(m)).ToArray()),
            ["on_disconnect"] = onDisconnect,
            ["multitask_strategy"] = strategy,
        };
        if (body["context"] is JsonObject context)
        {
            kwargs["context"] = context.DeepClone();
        }

        return (new RunRequest
        {
            AssistantId = assistantId,
            InputMessages = messages,
            Metadata = body["metadata"]?.DeepClone() as JsonObject ?? [],
            StreamModes = modes,
            RecursionLimit = recursionLimit,
            MultitaskStrategy = strategy,
            CreateThreadIfMissing = ifNotExists == "create",
            CancelOnDisconnect = onDisconnect == "cancel",
            DeleteThreadOnCompletion = stateless && onCompletion == "delete",
            Kwargs = kwargs,
        }, null);
    }

    private static string? Text(JsonObject body, string field) =>
        body[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
