namespace Agent.Api.Streaming;

/// <summary>The SSE events rendered from one stored run event.</summary>
/// <param name="Events">The events to send, in order, each with its slot (see <see cref="StreamEventId"/>).</param>
/// <param name="Streamed">What the client had of the step's model message from its token stream (content characters,
/// tool calls), or null when none of it was streamed; carried in the ids of the step's earlier events.</param>
internal sealed record RenderedStep(IReadOnlyList<RenderedEvent> Events, (int Characters, int ToolCalls)? Streamed)
{
    /// <summary>Gets a step that renders nothing.</summary>
    public static RenderedStep Empty { get; } = new([], null);
}
