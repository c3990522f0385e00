using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.ApiKeys;

/// <summary>
/// Looks a presented API key's id up across all tenants, for authentication (the caller's tenant is what the lookup
/// finds out, so it uses an unscoped context of its own). A singleton.
/// </summary>
/// <param name="contexts">Makes unscoped contexts.</param>
public sealed class ApiKeyLookup(IDbContextFactory<AgentDbContext> contexts)
{
    /// <summary>Finds a key by id.</summary>
    /// <param name="keyId">The key id (the part of the key before its secret).</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The key's tenant, scopes (space-separated), secret hash and whether it is revoked; or null when unknown.</returns>
    public async Task<StoredApiKey?> FindAsync(Guid keyId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.TenantId = null;
        return await db.ApiKeys.AsNoTracking().Where(k => k.KeyId == keyId)
            .Select(k => new StoredApiKey(k.TenantId, k.Scopes, k.KeyHash, k.RevokedAt != null))
            .SingleOrDefaultAsync(cancellationToken);
    }
}

/// <summary>What authentication needs of a stored key.</summary>
/// <param name="TenantId">The key's tenant.</param>
/// <param name="Scopes">Its scopes, space-separated.</param>
/// <param name="Hash">The hash of its secret.</param>
/// <param name="Revoked">Whether it was revoked.</param>
public sealed record StoredApiKey(string TenantId, string Scopes, byte[] Hash, bool Revoked);
