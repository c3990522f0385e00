namespace Agent.Persistence.Tenancy;

/// <summary>
/// Names the tenants every tenant-owned row (assistant, thread, run, checkpoint) belongs to.
/// </summary>
/// <remarks>
/// A tenant is a short name carried by the caller's API key (or <see cref="Default"/> when authentication is
/// explicitly turned off). Rows keep it in a <c>tenant_id</c> column; <see cref="AgentDbContext.TenantId"/> scopes
/// every query of a context to one tenant. Run events and model-call records belong to their run's tenant.
/// </remarks>
public static class AgentTenants
{
    /// <summary>The tenant of rows created before tenancy existed and of every caller when authentication is off.</summary>
    public const string Default = "default";

    /// <summary>The longest tenant id, in characters (the column is <c>varchar(64)</c>).</summary>
    public const int MaxLength = 64;

    /// <summary>
    /// The scope of a context that serves a caller whose tenant was not resolved: it matches no row, and saving a
    /// tenant-owned row under it throws, so a missing authentication step fails closed instead of leaking.
    /// </summary>
    public const string Unresolved = "";

    /// <summary>
    /// Tells whether <paramref name="tenantId"/> is a usable tenant id: 1 to <see cref="MaxLength"/> characters of
    /// ASCII letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.
    /// </summary>
    /// <param name="tenantId">The candidate.</param>
    /// <returns><see langword="true"/> when it is valid.</returns>
    public static bool IsValid(string? tenantId) =>
        !string.IsNullOrEmpty(tenantId)
        && tenantId.Length <= MaxLength
        && tenantId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
