using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Streaming;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;

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
    public required IReadOnlyList<StreamMode> StreamModes { get; init; }

    /// <summary>Gets the step limit.</summary>
    public required int RecursionLimit { get; init; }

    /// <summary>Gets a value indicating whether the body set <c>config.recursion_limit</c> (else the assistant's applies).</summary>
    public bool RecursionLimitGiven { get; init; }

    /// <summary>Gets the checkpoint to run from (<c>checkpoint_id</c> or <c>checkpoint.checkpoint_id</c>), or null for the thread's head.</summary>
    public Guid? CheckpointId { get; init; }

    /// <summary>Gets the delay before the run may start (<c>after_seconds</c>), or null to start at once.</summary>
    public TimeSpan? StartDelay { get; init; }

    /// <summary>Gets the URL the worker POSTs the finished run to (<c>webhook</c>), or null.</summary>
    public Uri? Webhook { get; init; }

    /// <summary>Gets the multitask strategy. Default is <see cref="MultitaskStrategy.Enqueue"/>.</summary>
    public required MultitaskStrategy MultitaskStrategy { get; init; }

    /// <summary>Gets whether a missing thread is created (<c>if_not_exists=create</c>) instead of a 404.</summary>
    public required bool CreateThreadIfMissing { get; init; }

    /// <summary>Gets whether a client disconnect cancels the run (<c>on_disconnect=cancel</c>). Default is continue.</summary>
    public required bool CancelOnDisconnect { get; init; }

    /// <summary>Gets whether a stateless run's thread is deleted when it ends (<c>on_completion=delete</c>, the default).</summary>
    public required bool DeleteThreadOnCompletion { get; init; }

    /// <summary>Gets LangGraph's <c>kwargs</c>: what was submitted, as stored on the run.</summary>
    public required JsonObject Kwargs { get; init; }

    /// <summary>The longest <c>after_seconds</c> accepted: 7 days.</summary>
    public const double MaxAfterSeconds = 7 * 24 * 3600;

    // feedback_keys and langsmith_tracer are LangSmith's.
    private static readonly string[] Unsupported = ["feedback_keys", "langsmith_tracer"];

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
        var (interruptKwargs, interruptError) = RunInterruptFields.Read(body, input is not null, limits);
        if (interruptError is not null)
        {
            return (null, interruptError);
        }

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
        var recursionLimitGiven = config?["recursion_limit"] is not null;
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

        if (config?["configurable"] is JsonObject configurableObject && Assistants.AssistantConfig.CollectionsError(configurableObject) is { } collectionsError)
        {
            return (null, collectionsError);
        }

        var (modes, modeError) = Streaming.StreamModes.Parse(body["stream_mode"]);
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

        var strategy = MultitaskStrategy.Enqueue;
        if (Text(body, "multitask_strategy") is { } strategyText && !WireName.TryParse(strategyText, out strategy))
        {
            return (null, $"multitask_strategy must be one of {string.Join(", ", WireName.All<MultitaskStrategy>())}.");
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

        var (checkpointId, checkpointError) = ReadCheckpoint(body);
        if (checkpointError is not null)
        {
            return (null, checkpointError);
        }

        if (checkpointId is not null && stateless)
        {
            return (null, "checkpoint_id needs a thread: a stateless run starts on a new, empty thread.");
        }

        TimeSpan? startDelay = null;
        if (body["after_seconds"] is { } afterNode)
        {
            if (afterNode is not JsonValue afterValue || !afterValue.TryGetValue<double>(out var seconds) || double.IsNaN(seconds)
                || seconds < 0 || seconds > MaxAfterSeconds)
            {
                return (null, $"after_seconds must be a number of seconds from 0 to {MaxAfterSeconds}.");
            }

            startDelay = seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;
        }

        // Every step is checkpointed synchronously, which satisfies "sync" and "async"; "exit" (checkpoint only at the
        // end) would be a weaker promise this server does not make.
        var durability = Text(body, "durability");
        if (body["durability"] is not null && durability is not ("sync" or "async"))
        {
            return (null, "durability must be 'sync' or 'async': this server checkpoints every step ('exit' is not supported).");
        }

        if (body["checkpoint_during"] is { } during && (during is not JsonValue dv || !dv.TryGetValue<bool>(out var checkpointDuring) || !checkpointDuring))
        {
            return (null, "checkpoint_during must be true: this server checkpoints every step.");
        }

        if (body["stream_resumable"] is { } resumable && (resumable is not JsonValue rv || !rv.TryGetValue<bool>(out _)))
        {
            return (null, "stream_resumable must be a boolean.");
        }

        Uri? webhook = null;
        if (body["webhook"] is not null)
        {
            (webhook, var webhookError) = Text(body, "webhook") is { } url
                ? Persistence.Webhooks.WebhookAddresses.ParseUrl(url)
                : (null, "webhook must be an absolute http(s) URL of at most 2048 characters.");
            if (webhookError is not null)
            {
                return (null, webhookError);
            }
        }

        var kwargsConfig = config?.DeepClone() as JsonObject ?? [];
        kwargsConfig["recursion_limit"] = recursionLimit;
        var kwargs = new JsonObject
        {
            // No input (null or absent) is kept as null: the worker then continues the thread (e.g. past an interrupt).
            ["input"] = input is null ? null : new JsonObject { ["messages"] = messages.DeepClone() },
            ["config"] = kwargsConfig,
            ["stream_mode"] = new JsonArray(modes.Select(m => (JsonNode?)JsonValue.Create(WireName.Of(m))).ToArray()),
            ["on_disconnect"] = onDisconnect,
            ["multitask_strategy"] = WireName.Of(strategy),
        };
        if (body["context"] is JsonObject context)
        {
            kwargs["context"] = context.DeepClone();
        }

        foreach (var (field, value) in interruptKwargs!)
        {
            kwargs[field] = value?.DeepClone();
        }

        if (checkpointId is not null)
        {
            kwargs["checkpoint_id"] = checkpointId.ToString();
        }

        if (startDelay is not null)
        {
            kwargs["after_seconds"] = startDelay.Value.TotalSeconds;
        }

        if (webhook is not null)
        {
            kwargs["webhook"] = webhook.ToString();
        }

        // Every run's events are kept, so every stream is resumable; the flag is recorded as submitted.
        kwargs["stream_resumable"] = body["stream_resumable"]?.GetValue<bool>() ?? false;

        return (new RunRequest
        {
            AssistantId = assistantId,
            InputMessages = messages,
            Metadata = body["metadata"]?.DeepClone() as JsonObject ?? [],
            StreamModes = modes,
            RecursionLimit = recursionLimit,
            RecursionLimitGiven = recursionLimitGiven,
            CheckpointId = checkpointId,
            StartDelay = startDelay,
            Webhook = webhook,
            MultitaskStrategy = strategy,
            CreateThreadIfMissing = ifNotExists == "create",
            CancelOnDisconnect = onDisconnect == "cancel",
            DeleteThreadOnCompletion = stateless && onCompletion == "delete",
            Kwargs = kwargs,
        }, null);
    }

    private static (Guid? Id, string? Error) ReadCheckpoint(JsonObject body)
    {
        var text = Text(body, "checkpoint_id");
        if (body["checkpoint_id"] is not null && text is null)
        {
            return (null, "checkpoint_id must be a checkpoint UUID.");
        }

        if (body["checkpoint"] is { } checkpoint)
        {
            if (checkpoint is not JsonObject reference || reference["checkpoint_id"] is not JsonValue id || !id.TryGetValue<string>(out var fromObject))
            {
                return (null, "checkpoint must be an object with a checkpoint_id.");
            }

            if (reference["checkpoint_ns"] is JsonValue ns && ns.TryGetValue<string>(out var space) && space.Length > 0)
            {
                return (null, "checkpoint.checkpoint_ns must be empty: the agent graph has no subgraphs.");
            }

            text ??= fromObject;
        }

        if (text is null)
        {
            return (null, null);
        }

        return Guid.TryParse(text, out var checkpointId) ? (checkpointId, null) : (null, "checkpoint_id must be a checkpoint UUID.");
    }

    private static string? Text(JsonObject body, string field) =>
        body[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
