namespace Agent.Persistence.Assistants;

/// <summary>
/// Represents a LangGraph assistant: a graph plus the configuration its runs use (table <c>agent.assistants</c>).
/// </summary>
public sealed class Assistant
{
    /// <summary>Gets or sets the assistant id. System assistants use uuid5 of the graph id (see <see cref="SystemAssistants"/>).</summary>
    public Guid AssistantId { get; set; }

    /// <summary>
    /// Gets or sets the tenant that owns the assistant, or <see langword="null"/> for a system assistant, which every
    /// tenant sees and none may change.
    /// </summary>
    public string? TenantId { get; set; }

    /// <summary>Gets or sets the graph this assistant runs, e.g. <c>agent</c>.</summary>
    public required string GraphId { get; set; }

    /// <summary>Gets or sets the display name.</summary>
    public required string Name { get; set; }

    /// <summary>Gets or sets the optional description.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the LangGraph <c>config</c> object as JSON text (jsonb). Default is <c>{}</c>.</summary>
    public string Config { get; set; } = "{}";

    /// <summary>Gets or sets the LangGraph <c>context</c> object (static run context) as JSON text (jsonb). Default is <c>{}</c>.</summary>
    public string Context { get; set; } = "{}";

    /// <summary>Gets or sets the metadata object as JSON text (jsonb). Default is <c>{}</c>.</summary>
    public string Metadata { get; set; } = "{}";

    /// <summary>Gets or sets the assistant version, starting at 1.</summary>
    public int Version { get; set; } = 1;

    /// <summary>Gets or sets the creation time (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets the last update time (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }
}
