using System.Security.Cryptography;
using Agent.Persistence.ApiKeys;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Agent.Api.Auth;

/// <summary>
/// Turns a presented API key into an <see cref="ApiCaller"/>: the bootstrap key from configuration, or a stored key
/// found by the key id it contains and checked against its SHA-256 hash in constant time.
/// </summary>
/// <remarks>
/// Stored keys are cached per replica for <see cref="AgentAuthOptions.KeyCacheSeconds"/> (the hash is still
/// compared on every request), so a busy client costs one lookup per interval. Unknown key ids are not cached, so
/// garbage cannot fill the cache; the per-client rate limit bounds their lookups.
/// </remarks>
internal sealed class ApiKeyAuthenticator : IDisposable
{
    private const string BootstrapKeyId = "bootstrap";

    private readonly ApiKeyLookup lookup;
    private readonly AgentAuthOptions options;
    private readonly byte[]? bootstrapHash;
    private readonly MemoryCache cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    /// <summary>Initializes a new instance of the <see cref="ApiKeyAuthenticator"/> class.</summary>
    /// <param name="lookup">Finds stored keys across tenants: the caller's tenant is what the lookup finds out.</param>
    /// <param name="options">The authentication options.</param>
    public ApiKeyAuthenticator(ApiKeyLookup lookup, IOptions<AgentAuthOptions> options)
    {
        this.lookup = lookup;
        this.options = options.Value;
        bootstrapHash = this.options.BootstrapKey is { Length: > 0 } key ? ApiKeySecret.Hash(key) : null;
    }

    /// <summary>Authenticates a key.</summary>
    /// <param name="key">The key as presented.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The caller, or null when the key is unknown, malformed or revoked.</returns>
    public async Task<ApiCaller?> AuthenticateAsync(string key, CancellationToken cancellationToken)
    {
        var hash = ApiKeySecret.Hash(key);
        if (bootstrapHash is not null && CryptographicOperations.FixedTimeEquals(hash, bootstrapHash))
        {
            return new ApiCaller(BootstrapKeyId, options.BootstrapTenant!, ApiKeyScopes.All);
        }

        if (!ApiKeySecret.TryGetKeyId(key, out var keyId))
        {
            return null;
        }

        if (!cache.TryGetValue(keyId, out StoredApiKey? stored))
        {
            stored = await lookup.FindAsync(keyId, cancellationToken);
            if (stored is null)
            {
                return null;
            }

            if (options.KeyCacheSeconds > 0)
            {
                cache.Set(keyId, stored, new MemoryCacheEntryOptions
                {
                    AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(options.KeyCacheSeconds),
                    Size = 1,
                });
            }
        }

        if (stored!.Revoked || !CryptographicOperations.FixedTimeEquals(hash, stored.Hash))
        {
            return null;
        }

        return new ApiCaller(keyId.ToString(), stored.TenantId, ApiKeyScopes.Parse(stored.Scopes).Scopes);
    }

    /// <summary>Drops a key from this replica's cache, so its revocation applies here at once.</summary>
    /// <param name="keyId">The key id.</param>
    public void Forget(Guid keyId) => cache.Remove(keyId);

    /// <inheritdoc />
    public void Dispose() => cache.Dispose();
}
