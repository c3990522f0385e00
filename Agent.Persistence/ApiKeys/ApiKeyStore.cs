using Agent.Persistence.Tenancy;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.ApiKeys;

/// <summary>
/// Creates, lists and revokes API keys. Used by the admin endpoint (a context scoped to the caller's tenant, so
/// an admin sees and revokes only its own tenant's keys) and by the worker's <c>keys</c> command (unscoped).
/// </summary>
/// <param name="context">The database context.</param>
/// <param name="timeProvider">The clock.</param>
public sealed class ApiKeyStore(AgentDbContext context, TimeProvider timeProvider)
{
    /// <summary>Creates a key.</summary>
    /// <param name="tenantId">The tenant (must satisfy <see cref="AgentTenants.IsValid"/>).</param>
    /// <param name="name">A name for people, 1 to <see cref="ApiKeySecret.MaxNameLength"/> characters.</param>
    /// <param name="scopes">The scopes (see <see cref="ApiKeyScopes"/>).</param>
    /// <param name="cancellationToken">Cancels the insert.</param>
    /// <returns>The stored row and the key text, which is never stored and cannot be shown again.</returns>
    /// <exception cref="ArgumentException">The tenant, name or scopes are invalid.</exception>
    public async Task<(ApiKey Row, string Key)> CreateAsync(
        string tenantId, string name, IReadOnlyCollection<string> scopes, CancellationToken cancellationToken)
    {
        if (!AgentTenants.IsValid(tenantId))
        {
            throw new ArgumentException(
                $"tenant must be 1 to {AgentTenants.MaxLength} characters of letters, digits, '-', '_' and '.'.", nameof(tenantId));
        }

        if (string.IsNullOrWhiteSpace(name) || name.Length > ApiKeySecret.MaxNameLength)
        {
            throw new ArgumentException($"name must be 1 to {ApiKeySecret.MaxNameLength} characters.", nameof(name));
        }

        var (parsed, error) = ApiKeyScopes.Parse(string.Join(' ', scopes));
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(scopes));
        }

        var keyId = Guid.CreateVersion7();
        var key = ApiKeySecret.Create(keyId);
        var row = new ApiKey
        {
            KeyId = keyId,
            TenantId = tenantId,
            Name = name.Trim(),
            Scopes = ApiKeyScopes.Format(parsed),
            KeyHash = ApiKeySecret.Hash(key),
            CreatedAt = timeProvider.GetUtcNow(),
        };
        context.ApiKeys.Add(row);
        await context.SaveChangesAsync(cancellationToken);
        context.Entry(row).State = EntityState.Detached;
        return (row, key);
    }

    /// <summary>Lists keys, newest first, revoked ones included.</summary>
    /// <param name="tenantId">Only this tenant's keys; null for every key the context can see.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The keys.</returns>
    public Task<List<ApiKey>> ListAsync(string? tenantId, CancellationToken cancellationToken) =>
        context.ApiKeys.AsNoTracking()
            .Where(k => tenantId == null || k.TenantId == tenantId)
            .OrderByDescending(k => k.CreatedAt)
            .ToListAsync(cancellationToken);

    /// <summary>Revokes a key; revoking a revoked key keeps its first revocation time.</summary>
    /// <param name="keyId">The key id.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>The key as revoked, or null when the context sees no such key.</returns>
    public async Task<ApiKey?> RevokeAsync(Guid keyId, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await context.ApiKeys.Where(k => k.KeyId == keyId && k.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.RevokedAt, now), cancellationToken);
        return await context.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.KeyId == keyId, cancellationToken);
    }
}
