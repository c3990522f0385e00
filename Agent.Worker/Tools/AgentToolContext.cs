namespace Agent.Worker.Tools;

/// <summary>
/// Where a tool call comes from, for <c>AddAgentTool</c> functions: the run, the step, the model's tool call id and the
/// idempotency key <c>run_id:step:tool_call_id</c>. A function reads it from <see cref="Current"/>, or from
/// <c>AIFunctionArguments.Context</c> under <see cref="IdempotencyKeyName"/> (the key) or <c>typeof(AgentToolContext)</c>.
/// </summary>
/// <remarks>
/// A tool call interrupted by a crash may run again (at-least-once): a tool with side effects deduplicates on
/// <see cref="IdempotencyKey"/>, which is the same on every retry of the call.
/// </remarks>
/// <param name="RunId">The run.</param>
/// <param name="Step">The step index within the run.</param>
/// <param name="ToolCallId">The model's tool call id.</param>
public sealed record AgentToolContext(Guid RunId, int Step, string ToolCallId)
{
    /// <summary>The <c>AIFunctionArguments.Context</c> key of the idempotency key (a string), <c>idempotency_key</c>.</summary>
    public const string IdempotencyKeyName = "idempotency_key";

    private static readonly AsyncLocal<AgentToolContext?> Ambient = new();

    /// <summary>Gets the context of the tool call running on this async flow, or null outside a tool call.</summary>
    public static AgentToolContext? Current
    {
        get => Ambient.Value;
        internal set => Ambient.Value = value;
    }

    /// <summary>
    /// Gets the document collections the run may read: its <c>config.configurable.collections</c> (or its assistant's),
    /// else its graph's <see cref="Graphs.AgentGraphBuilder.DefaultCollections"/>. Default is null (outside a run).
    /// <c>search_documents</c> and <c>read_document</c> never look outside them.
    /// </summary>
    public IReadOnlyList<string>? Collections { get; init; }

    /// <summary>Gets the idempotency key <c>run_id:step:tool_call_id</c>, stable across retries and crashes.</summary>
    public string IdempotencyKey => $"{RunId}:{Step}:{ToolCallId}";

    /// <summary>Gets the tool node's interrupt; null outside a run's tool node.</summary>
    internal Func<System.Text.Json.Nodes.JsonNode?, System.Text.Json.Nodes.JsonNode?>? InterruptHandler { get; init; }

    /// <summary>
    /// Pauses the run for a human's input from inside the tool (LangGraph's <c>interrupt(value)</c> in a tool): the
    /// first time, the tool node stops here and nothing of its step is committed; the run that resumes the thread
    /// (<c>command.resume</c>) runs the tool node again (its earlier calls too, with the same idempotency keys), and this
    /// call returns the resume value.
    /// </summary>
    /// <param name="value">What the client is asked (any JSON).</param>
    /// <returns>The resume value.</returns>
    /// <exception cref="Interrupts.NodeInterruptException">No resume answers it yet: let it propagate out of the tool.</exception>
    /// <exception cref="InvalidOperationException">Called outside a run's tool node (the eval, a test).</exception>
    public System.Text.Json.Nodes.JsonNode? Interrupt(System.Text.Json.Nodes.JsonNode? value) =>
        (InterruptHandler ?? throw new InvalidOperationException("Interrupt is only available to a tool called by a run's tool node."))(value);
}
