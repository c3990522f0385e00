namespace Agent.Worker.Graphs;

/// <summary>
/// Options of one model call made by a node through <see cref="AgentNodeContext.CallModelAsync"/>. The run's
/// <c>config.configurable</c> (or its assistant's) wins over these defaults: <c>system_prompt</c>, <c>model</c> and
/// <c>tools</c> set there apply.
/// </summary>
public sealed class AgentModelRequest
{
    /// <summary>Gets or sets the system prompt used when the run's config sets no <c>system_prompt</c>. Default is null: no system message.</summary>
    public string? SystemPrompt { get; set; }

    /// <summary>Gets or sets the model used when the run's config sets no <c>model</c>. Default is null: the provider's default.</summary>
    public string? Model { get; set; }

    /// <summary>
    /// Gets or sets the names of the registered tools (<c>AddAgentTool</c>) offered to the model. Default is null: all,
    /// narrowed by the run's <c>configurable.tools</c> when set. An empty list offers none.
    /// </summary>
    public IReadOnlyCollection<string>? Tools { get; set; }
}
