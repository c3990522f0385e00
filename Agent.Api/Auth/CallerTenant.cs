using Agent.Persistence.Tenancy;

namespace Agent.Api.Auth;

/// <summary>
/// Holds the tenant of the current HTTP request (one per request scope), which scopes the request's database
/// context (and so every store of Agent.Persistence the request uses).
/// </summary>
/// <remarks>
/// Starts as <see cref="AgentTenants.Unresolved"/>, so a request that reaches the database without having been
/// authenticated sees no rows and cannot write any: tenancy fails closed.
/// </remarks>
public sealed class CallerTenant : ICallerTenant
{
    /// <summary>Gets or sets the caller's tenant id. Default <see cref="AgentTenants.Unresolved"/>.</summary>
    public string? TenantId { get; set; } = AgentTenants.Unresolved;
}
