using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Streaming;
using Agent.Persistence.Runs;

namespace Agent.Api.Runs;

/// <summary>
/// A validated run-creation body (LangGraph Server API <c>RunCreateStateful</c> / <c>RunCreateStateless</c>,
/// reference/langgraph-server-api.md section 2.2): the wire record <see cref="RunCreate"/> with every field checked,
/// defaults applied and LangGraph's <c>kwargs</c> built (<c>RunRequest.Kwargs.cs</c>).
/// </summary>
internal sealed partial record RunRequest
{
    /// <summary>The <c>recursion_limit</c> when none is given: 25, LangGraph's default.</summary>
    public const int DefaultRecursionLimit = 25;

    /// <summary>The longest <c>after_seconds</c> accepted: 7 days (604,800 s, as <see cref="RunCreate.AfterSecondsError"/> says).</summary>
    public const double MaxAfterSeconds = 7 * 24 * 3600;

    /// <summary>The 422 detail of a <c>durability</c> other than <c>sync</c> or <c>async</c>.</summary>
    public const string DurabilityError = "durability must be 'sync' or 'async': this server checkpoints every step ('exit' is not supported).";

    /// <summary>Gets the assistant id or graph name.</summary>
    public required string AssistantId { get; init; }

    /// <summary>Gets the input messages, normalised to LangChain form with ids (possibly empty).</summary>
    public required JsonArray InputMessages { get; init; }

    /// <summary>Gets the run's metadata object.</summary>
    public required JsonObject Metadata { get; init; }

    /// <summary>Gets whether the stream shows the events of subgraphs as <c>mode|namespace</c> (<c>stream_subgraphs</c>). Default is false.</summary>
    public bool StreamSubgraphs { get; init; }

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

    /// <summary>
    /// Gets the human-in-the-loop entries of <see cref="Kwargs"/> (<c>command</c>, <c>interrupt_before</c>,
    /// <c>interrupt_after</c>, as <see cref="RunInterruptFields"/> read them); empty when none was given.
    /// </summary>
    public JsonObject InterruptKwargs { get; init; } = [];

    /// <summary>Reads and validates a body: its fields' types (<see cref="WireBody"/>), then their values.</summary>
    /// <param name="body">The JSON body.</param>
    /// <param name="stateless">Whether the run is stateless (<c>/runs/...</c>).</param>
    /// <param name="limits">The input bounds (messages, message length, recursion limit). Default <see cref="ApiLimits.Default"/>.</param>
    /// <returns>The request, or a 422 detail naming the field at fault.</returns>
    public static (RunRequest? Request, string? Error) Parse(JsonObject body, bool stateless, ApiLimits? limits = null)
    {
        var (wire, error) = WireBody.Read(body, RunsJsonContext.Default.RunCreate);
        return error is not null ? (null, error) : Validate(wire!, stateless, limits ?? ApiLimits.Default);
    }

    /// <summary>Validates a run's values, in the order of its fields; the first failing check is the 422 detail.</summary>
    /// <param name="wire">The body, its field types already checked.</param>
    /// <param name="stateless">Whether the run is stateless.</param>
    /// <param name="limits">The input bounds.</param>
    /// <returns>The request, or a 422 detail.</returns>
    public static (RunRequest? Request, string? Error) Validate(RunCreate wire, bool stateless, ApiLimits limits)
    {
        if (string.IsNullOrWhiteSpace(wire.AssistantId))
        {
            return (null, "assistant_id is required: an assistant id or a graph name such as 'agent'.");
        }

        var (interrupts, interruptError) = RunInterruptFields.Read(wire.Command, wire.InterruptBefore, wire.InterruptAfter, wire.Input is not null, limits);
        if (interruptError is not null)
        {
            return (null, interruptError);
        }

        JsonArray messages = [];
        if (wire.Input is { } input)
        {
            var (normalized, error) = InputMessageNormalizer.Normalize(input["messages"], limits);
            if (error is not null)
            {
                return (null, error);
            }

            messages = normalized!;
        }

        var (recursionLimit, recursionLimitGiven, configError) = ReadConfig(wire.Config, limits);
        if (configError is not null)
        {
            return (null, configError);
        }

        var (modes, modeError) = Streaming.StreamModes.Parse(wire.StreamMode);
        if (modeError is not null)
        {
            return (null, modeError);
        }

        var (checkpointId, checkpointError) = ReadCheckpoint(wire);
        if (checkpointError is not null)
        {
            return (null, checkpointError);
        }

        if (checkpointId is not null && stateless)
        {
            return (null, "checkpoint_id needs a thread: a stateless run starts on a new, empty thread.");
        }

        if (wire.AfterSeconds is { } seconds && (seconds < 0 || seconds > MaxAfterSeconds))
        {
            return (null, RunCreate.AfterSecondsError);
        }

        // Every step is checkpointed synchronously, which satisfies "sync" and "async"; "exit" (checkpoint only at the
        // end) would be a weaker promise this server does not make.
        if (wire.Durability is Durability.Exit)
        {
            return (null, DurabilityError);
        }

        if (wire.CheckpointDuring is false)
        {
            return (null, "checkpoint_during must be true: this server checkpoints every step.");
        }

        Uri? webhook = null;
        if (wire.Webhook is { } url)
        {
            (webhook, var webhookError) = Persistence.Webhooks.WebhookAddresses.ParseUrl(url);
            if (webhookError is not null)
            {
                return (null, webhookError);
            }
        }

        var request = new RunRequest
        {
            AssistantId = wire.AssistantId,
            InputMessages = messages,
            Metadata = wire.Metadata ?? [],
            StreamModes = modes,
            StreamSubgraphs = wire.StreamSubgraphs is true,
            RecursionLimit = recursionLimit,
            RecursionLimitGiven = recursionLimitGiven,
            CheckpointId = checkpointId,
            StartDelay = wire.AfterSeconds is > 0 ? TimeSpan.FromSeconds(wire.AfterSeconds.Value) : null,
            Webhook = webhook,
            MultitaskStrategy = wire.MultitaskStrategy ?? MultitaskStrategy.Enqueue,
            CreateThreadIfMissing = wire.IfNotExists == IfNotExists.Create,
            CancelOnDisconnect = wire.OnDisconnect == DisconnectMode.Cancel,
            DeleteThreadOnCompletion = stateless && (wire.OnCompletion ?? OnCompletionBehavior.Delete) == OnCompletionBehavior.Delete,
            Kwargs = [],
            InterruptKwargs = interrupts!,
        };
        return (request with { Kwargs = BuildKwargs(wire, request) }, null);
    }

    private static (int Limit, bool Given, string? Error) ReadConfig(JsonObject? config, ApiLimits limits)
    {
        var recursionLimit = DefaultRecursionLimit;
        var given = config?["recursion_limit"] is not null;
        if (config?["recursion_limit"] is { } limitNode)
        {
            if (limitNode is not JsonValue limitValue || !limitValue.TryGetValue<int>(out recursionLimit))
            {
                return (0, given, "config.recursion_limit must be an integer.");
            }

            if (recursionLimit < 1 || recursionLimit > limits.MaxRecursionLimit)
            {
                return (0, given, $"config.recursion_limit must be between 1 and {limits.MaxRecursionLimit}.");
            }
        }

        return config?["configurable"] switch
        {
            null => (recursionLimit, given, null),
            JsonObject configurable => (recursionLimit, given, Assistants.AssistantConfig.CollectionsError(configurable)),
            _ => (0, given, "config.configurable must be an object."),
        };
    }

    private static (Guid? Id, string? Error) ReadCheckpoint(RunCreate wire)
    {
        var text = wire.CheckpointId;
        if (wire.Checkpoint is { } reference)
        {
            if (reference["checkpoint_id"] is not JsonValue id || !id.TryGetValue<string>(out var fromObject))
            {
                return (null, "checkpoint must be an object with a checkpoint_id.");
            }

            if (reference["checkpoint_ns"] is JsonValue ns && ns.TryGetValue<string>(out var space) && space.Length > 0)
            {
                return (null, "checkpoint.checkpoint_ns must be empty: a run starts from a checkpoint of the thread's own graph, not of a subgraph.");
            }

            text ??= fromObject;
        }

        if (text is null)
        {
            return (null, null);
        }

        return Guid.TryParse(text, out var checkpointId) ? (checkpointId, null) : (null, "checkpoint_id must be a checkpoint UUID.");
    }
}
