using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Agent.Api.Http;
using Agent.Persistence.Runs;

namespace Agent.Api.Runs;

/// <summary>
/// The body of a run creation as it comes over the wire (LangGraph Server API <c>RunCreateStateful</c> /
/// <c>RunCreateStateless</c>, reference/langgraph-server-api.md section 2.2): read by <see cref="WireBody"/>, then
/// validated into a <see cref="RunRequest"/>. Fields LangGraph defines that are not declared here are ignored, as
/// LangGraph's schema ignores unknown ones; each field's type errors are the 422 details of its
/// <see cref="WireErrorAttribute"/>. Free-form fields (<c>input</c>, <c>config</c>, <c>metadata</c>, <c>context</c>)
/// stay JSON.
/// </summary>
internal sealed record RunCreate
{
    /// <summary>The 422 detail of a bad <c>after_seconds</c> (<see cref="RunRequest.MaxAfterSeconds"/> is 604,800).</summary>
    public const string AfterSecondsError = "after_seconds must be a number of seconds from 0 to 604800.";

    /// <summary>Gets the assistant id or graph name (required).</summary>
    [JsonPropertyName("assistant_id")]
    [WireError("assistant_id is required: an assistant id or a graph name such as 'agent'.")]
    public required string AssistantId { get; init; }

    /// <summary>
    /// Gets <c>command</c>, LangGraph's <c>Command</c>: <c>{"resume"?, "update"?, "goto"?}</c> (resume a paused thread,
    /// write channel values, pick the next node), or null; checked by <see cref="RunInterruptFields"/>.
    /// </summary>
    [JsonPropertyName("command")]
    public JsonNode? Command { get; init; }

    /// <summary>Gets <c>interrupt_before</c>: <c>"*"</c> or node names to pause before, or null; checked by <see cref="RunInterruptFields"/>.</summary>
    [JsonPropertyName("interrupt_before")]
    public JsonNode? InterruptBefore { get; init; }

    /// <summary>Gets <c>interrupt_after</c>: <c>"*"</c> or node names to pause after, or null; checked by <see cref="RunInterruptFields"/>.</summary>
    [JsonPropertyName("interrupt_after")]
    public JsonNode? InterruptAfter { get; init; }

    /// <summary>Gets <c>feedback_keys</c>, LangSmith's: refused.</summary>
    [JsonPropertyName("feedback_keys")]
    [WireUnsupported]
    public JsonNode? FeedbackKeys { get; init; }

    /// <summary>Gets <c>langsmith_tracer</c>, LangSmith's: refused.</summary>
    [JsonPropertyName("langsmith_tracer")]
    [WireUnsupported]
    public JsonNode? LangsmithTracer { get; init; }

    /// <summary>Gets the input, <c>{"messages": [...]}</c> in any form LangChain accepts, or null for none.</summary>
    [JsonPropertyName("input")]
    [WireError("input must be an object such as {\"messages\": [{\"role\": \"user\", \"content\": \"...\"}]}.")]
    public JsonObject? Input { get; init; }

    /// <summary>Gets the run's metadata, or null for <c>{}</c>.</summary>
    [JsonPropertyName("metadata")]
    [WireError("metadata must be an object.")]
    public JsonObject? Metadata { get; init; }

    /// <summary>Gets the config (<c>recursion_limit</c>, <c>configurable</c>, <c>tags</c> ...), or null for the assistant's.</summary>
    [JsonPropertyName("config")]
    [WireError("config must be an object.")]
    public JsonObject? Config { get; init; }

    /// <summary>Gets the stream modes: one mode or a list (<see cref="Streaming.StreamModes.Parse"/> reads it). Default <c>values</c>.</summary>
    [JsonPropertyName("stream_mode")]
    public JsonNode? StreamMode { get; init; }

    /// <summary>Gets the multitask strategy, or null for <see cref="MultitaskStrategy.Enqueue"/>.</summary>
    [JsonPropertyName("multitask_strategy")]
    [WireError("multitask_strategy must be a string.", ValueError = "multitask_strategy must be one of {0}.")]
    public MultitaskStrategy? MultitaskStrategy { get; init; }

    /// <summary>Gets what a missing thread does, or null for <see cref="Runs.IfNotExists.Reject"/>.</summary>
    [JsonPropertyName("if_not_exists")]
    [WireError("if_not_exists must be a string.", ValueError = "if_not_exists must be 'create' or 'reject'.")]
    public IfNotExists? IfNotExists { get; init; }

    /// <summary>Gets what a client disconnect does, or null for <see cref="DisconnectMode.Continue"/>.</summary>
    [JsonPropertyName("on_disconnect")]
    [WireError("on_disconnect must be a string.", ValueError = "on_disconnect must be 'cancel' or 'continue'.")]
    public DisconnectMode? OnDisconnect { get; init; }

    /// <summary>Gets what a stateless run's end does to its thread, or null for delete (stateless) or keep.</summary>
    [JsonPropertyName("on_completion")]
    [WireError("on_completion must be a string.", ValueError = "on_completion must be 'delete' or 'keep'.")]
    public OnCompletionBehavior? OnCompletion { get; init; }

    /// <summary>Gets the checkpoint to run from, a UUID as text, or null for the thread's head.</summary>
    [JsonPropertyName("checkpoint_id")]
    [WireError("checkpoint_id must be a checkpoint UUID.")]
    public string? CheckpointId { get; init; }

    /// <summary>Gets the checkpoint to run from as <c>{"checkpoint_id": ..., "checkpoint_ns": ""}</c>, or null.</summary>
    [JsonPropertyName("checkpoint")]
    [WireError("checkpoint must be an object with a checkpoint_id.")]
    public JsonObject? Checkpoint { get; init; }

    /// <summary>Gets the delay before the run may start, in seconds (0 to 604,800), or null to start at once.</summary>
    [JsonPropertyName("after_seconds")]
    [WireError(AfterSecondsError)]
    public double? AfterSeconds { get; init; }

    /// <summary>Gets the durability asked for; only <c>sync</c> and <c>async</c> are accepted.</summary>
    [JsonPropertyName("durability")]
    [WireError(RunRequest.DurabilityError)]
    public Durability? Durability { get; init; }

    /// <summary>Gets <c>checkpoint_during</c>; only true is accepted.</summary>
    [JsonPropertyName("checkpoint_during")]
    [WireError("checkpoint_during must be true: this server checkpoints every step.")]
    public bool? CheckpointDuring { get; init; }

    /// <summary>Gets <c>stream_subgraphs</c>: whether the stream shows subgraph steps as <c>mode|namespace</c>; null is false.</summary>
    [JsonPropertyName("stream_subgraphs")]
    [WireError("stream_subgraphs must be a boolean.")]
    public bool? StreamSubgraphs { get; init; }

    /// <summary>Gets whether the stream is resumable (every stream here is; the flag is recorded as submitted).</summary>
    [JsonPropertyName("stream_resumable")]
    public bool? StreamResumable { get; init; }

    /// <summary>Gets the URL the finished run is POSTed to, or null.</summary>
    [JsonPropertyName("webhook")]
    [WireError(Persistence.Webhooks.WebhookAddresses.UrlError)]
    public string? Webhook { get; init; }

    /// <summary>Gets the run's context (LangGraph's static runtime context); kept in <c>kwargs</c> when an object, else ignored.</summary>
    [JsonPropertyName("context")]
    public JsonNode? Context { get; init; }
}
