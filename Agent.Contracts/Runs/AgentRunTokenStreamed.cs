namespace Agent.Contracts.Runs;

/// <summary>
/// Carries model output as it streams (text deltas and tool calls of the <c>ai</c> message a model call is writing), so
/// API replicas can relay it to SSE clients as LangGraph <c>messages</c> token chunks before the step commits.
/// </summary>
/// <remarks>
/// Published by the worker during a model call, fanned out like <see cref="AgentRunEventRecorded"/>, best effort and
/// never persisted: the committed step (event <see cref="AfterSequence"/> + 1) holds the whole message, so a client
/// that missed tokens still gets the message; a relay drops tokens whose step it has already sent. Consecutive deltas
/// may be coalesced into one message.
/// </remarks>
public sealed record AgentRunTokenStreamed
{
    /// <summary>Gets the identifier of the run.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Gets the identifier of the run's thread.</summary>
    public required Guid ThreadId { get; init; }

    /// <summary>
    /// Gets the sequence of the run's last committed event when the model call started: the tokens belong to the step
    /// that will be committed as the next event.
    /// </summary>
    public required long AfterSequence { get; init; }

    /// <summary>Gets the step index of the model call within the run (the LangGraph <c>langgraph_step</c>).</summary>
    public required int Step { get; init; }

    /// <summary>Gets the node making the call, e.g. <c>agent</c> (the LangGraph <c>langgraph_node</c>).</summary>
    public required string Node { get; init; }

    /// <summary>
    /// Gets the checkpoint namespace of the step (LangGraph <c>checkpoint_ns</c>): empty for the run's own graph,
    /// <c>node:task_id</c> (nested ones joined by <c>|</c>) inside a subgraph. Default is empty.
    /// </summary>
    public string CheckpointNs { get; init; } = string.Empty;

    /// <summary>Gets the id of the <c>ai</c> message being written; stable for the step, and the id of the committed message.</summary>
    public required string MessageId { get; init; }

    /// <summary>Gets the offset, in UTF-16 characters, of <see cref="Text"/> within the message's content.</summary>
    public required int Offset { get; init; }

    /// <summary>Gets the content delta (possibly empty when the delta holds only tool calls).</summary>
    public required string Text { get; init; }

    /// <summary>Gets the index, within the message's tool calls, of the first call in <see cref="ToolCalls"/>.</summary>
    public int ToolCallOffset { get; init; }

    /// <summary>
    /// Gets the tool calls completed in this delta as a JSON array of LangChain tool-call chunks
    /// (<c>[{"name", "args": "json text", "id", "index", "type": "tool_call_chunk"}]</c>), or null when none.
    /// </summary>
    public string? ToolCalls { get; init; }

    /// <summary>Gets the UTC instant at which the delta was produced.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}
