namespace Agent.Persistence.Threads;

/// <summary>
/// Represents a LangGraph thread (table <c>agent.threads</c>). Its state is not stored here: it is the fold of
/// the thread's checkpoints (see <see cref="Checkpoints.CheckpointFold"/>).
/// </summary>
public sealed class AgentThread
{
    /// <summary>Gets or sets the tenant that owns the thread (see <see cref="Tenancy.AgentTenants"/>).</summary>
    /// <remarks>Threads are keyed by <c>(tenant_id, thread_id)</c>, so ids that clients choose never collide across tenants.</remarks>
    public string TenantId { get; set; } = "";

    /// <summary>Gets or sets the thread id (client-chosen or server-generated).</summary>
    public Guid ThreadId { get; set; }

    /// <summary>Gets or sets the metadata object as JSON text (jsonb). Default is <c>{}</c>.</summary>
    public string Metadata { get; set; } = "{}";

    /// <summary>Gets or sets the LangGraph thread status: <c>idle</c>, <c>busy</c>, <c>interrupted</c> or <c>error</c>.</summary>
    public AgentThreadStatus Status { get; set; } = AgentThreadStatus.Idle;

    /// <summary>Gets or sets the creation time (UTC).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets the last update time (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>
    /// Gets or sets the thread's time to live in minutes (LangGraph <c>ttl</c>, strategy <c>delete</c>): the thread, its
    /// runs and checkpoints are deleted once it has been idle that long (<see cref="UpdatedAt"/> + ttl, with no run
    /// pending or running). Null: kept until deleted.
    /// </summary>
    public int? TtlMinutes { get; set; }
}
