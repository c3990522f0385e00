namespace Agent.Persistence.Tenancy;

/// <summary>
/// Supplies the tenant of the current caller to the scoped <see cref="AgentDbContext"/>.
/// </summary>
/// <remarks>
/// The API registers one per request (resolved by authentication); the worker registers none, so its contexts see
/// every tenant (it works on runs by id, and a run carries its tenant).
/// </remarks>
public interface ICallerTenant
{
    /// <summary>
    /// Gets the caller's tenant id, or <see cref="AgentTenants.Unresolved"/> when the caller has not been
    /// authenticated (the context then matches no row), or <see langword="null"/> for an unscoped, all-tenant
    /// context (worker, migrator, admin commands).
    /// </summary>
    string? TenantId { get; }
}
