using System.Security.Claims;

namespace Agent.Api.Auth;

/// <summary>
/// An authenticated caller: the key that authenticated it, its tenant and its scopes; carried as the claims of
/// <c>HttpContext.User</c>.
/// </summary>
/// <param name="KeyId">The key id (a stored key's uuid), <c>bootstrap</c>, or <c>anonymous</c> when authentication is off.</param>
/// <param name="TenantId">The tenant that scopes every query of the request.</param>
/// <param name="Scopes">The scopes (see <c>ApiKeyScopes</c>).</param>
internal sealed record ApiCaller(string KeyId, string TenantId, IReadOnlyList<string> Scopes)
{
    /// <summary>The claim type of the key id.</summary>
    public const string KeyIdClaim = "key_id";

    /// <summary>The claim type of the tenant id.</summary>
    public const string TenantClaim = "tenant_id";

    /// <summary>The claim type of each scope (one claim per scope).</summary>
    public const string ScopeClaim = "scope";

    /// <summary>Reads the authenticated caller's tenant from the request's principal (for request logs).</summary>
    /// <param name="context">The request.</param>
    /// <returns>The tenant id, or null before or without authentication.</returns>
    public static string? Tenant(HttpContext context) => context.User.FindFirst(TenantClaim)?.Value;

    /// <summary>Builds the request's principal.</summary>
    /// <param name="scheme">The authentication scheme.</param>
    /// <returns>The principal.</returns>
    public ClaimsPrincipal ToPrincipal(string scheme)
    {
        var claims = new List<Claim> { new(KeyIdClaim, KeyId), new(TenantClaim, TenantId) };
        claims.AddRange(Scopes.Select(s => new Claim(ScopeClaim, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme, KeyIdClaim, null));
    }
}
