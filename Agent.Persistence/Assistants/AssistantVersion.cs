namespace Agent.Persistence.Assistants;

/// <summary>
/// Represents one version of an assistant (table <c>agent.assistant_versions</c>): what it was after its creation
/// or after one <c>PATCH</c>. <c>POST /assistants/{id}/latest</c> makes an earlier version current again.
/// </summary>
public sealed class AssistantVersion
{
    /// <summary>Gets or sets the assistant.</summary>
    public Guid AssistantId { get; set; }

    /// <summary>Gets or sets the version number, starting at 1.</summary>
    public int Version { get; set; }

    /// <summary>Gets or sets the tenant that owns the assistant (null for a system assistant's versions).</summary>
    public string? TenantId { get; set; }

    /// <summary>Gets or sets the graph of this version.</summary>
    public required string GraphId { get; set; }

    /// <summary>Gets or sets the name of this version.</summary>
    public required string Name { get; set; }

    /// <summary>Gets or sets the description of this version.</summary>
    public string? Description { get; set; }

    /// <summary>Gets or sets the <c>config</c> object of this version as JSON text (jsonb).</summary>
    public string Config { get; set; } = "{}";

    /// <summary>Gets or sets the <c>context</c> object of this version as JSON text (jsonb).</summary>
    public string Context { get; set; } = "{}";

    /// <summary>Gets or sets the metadata object of this version as JSON text (jsonb).</summary>
    public string Metadata { get; set; } = "{}";

    /// <summary>Gets or sets when the version was written (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }
}
