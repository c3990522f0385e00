namespace Agent.Worker.Tools;

/// <summary>
/// Identifies one tool call of one step of one run.
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="Step">The step index within the run.</param>
/// <param name="ToolCallId">The model's tool call id.</param>
internal sealed record ToolInvocation(Guid RunId, int Step, string ToolCallId)
{
    /// <summary>
    /// Gets the document collections the run may read (<see cref="AgentToolContext.Collections"/>); null outside a run
    /// (the eval, benchmarks), where the retrieval tools read every collection.
    /// </summary>
    public IReadOnlyList<string>? Collections { get; init; }

    /// <summary>
    /// Gets the tool node's interrupt (<see cref="Graphs.AgentNodeContext.Interrupt"/>), for
    /// <see cref="AgentToolContext.Interrupt"/>; null outside a run's tool node.
    /// </summary>
    public Func<System.Text.Json.Nodes.JsonNode?, System.Text.Json.Nodes.JsonNode?>? Interrupt { get; init; }

    /// <summary>Gets the idempotency key <c>run_id:step:tool_call_id</c>, stable across retries and crashes.</summary>
    public string IdempotencyKey => $"{RunId}:{Step}:{ToolCallId}";
}
