namespace Agent.Persistence.RunEvents;

/// <summary>
/// Lists the kinds of run events and the shape of their <c>data</c>.
/// </summary>
public static class RunEventKinds
{
    /// <summary>
    /// A committed step: <c>{"step", "node", "checkpoint_id", "messages": [...added], "model_call"?: {provider, model,
    /// input_tokens, output_tokens, latency_ms, finish_reason}, "tool_calls"?: [{name, id, latency_ms}]}</c>.
    /// </summary>
    /// <remarks>
    /// The row stores the messages and values once, in its checkpoint: when an event's <c>messages</c> and
    /// <c>values</c> are exactly its checkpoint's delta (<c>checkpoint_id</c> and <c>step</c> name it), the step commit
    /// stores the event without them, and the view <c>agent.run_events_expanded</c>, which every EF Core query of
    /// <c>RunEvents</c> reads, puts them back from the delta (<c>messages</c>, and the delta's other channels as
    /// <c>values</c> when there are any). A stored step event without <c>messages</c> is such a reference; the
    /// published event always carries them.
    /// </remarks>
    public const string Step = "step";

    /// <summary>A status change: <c>{"status", "error"?: {"error", "message"}}</c>; terminal statuses end the stream.</summary>
    public const string Status = "status";

    /// <summary>
    /// The run paused on interrupts (<c>RunLifecycle.PauseAsync</c>): <c>{"node", "interrupts": [{"value", "id"}]}</c>
    /// (static interrupts carry no values, so their list is empty). Streamed as <c>{"__interrupt__": [...]}</c>.
    /// </summary>
    public const string Interrupt = "interrupt";
}
