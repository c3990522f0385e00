namespace Agent.Persistence.ApiKeys;

/// <summary>
/// An API key (table <c>agent.api_keys</c>): who may call the API, for which tenant, with which scopes. Only the
/// key's SHA-256 hash is stored; the key itself is shown once, when it is created.
/// </summary>
public sealed class ApiKey
{
    /// <summary>Gets or sets the key id: the public part of the key (<c>agk_{key_id:N}_{secret}</c>), used to look it up.</summary>
    public Guid KeyId { get; set; }

    /// <summary>Gets or sets the tenant whose rows the key reaches (see <see cref="Tenancy.AgentTenants"/>).</summary>
    public string TenantId { get; set; } = "";

    /// <summary>Gets or sets a name for people (who or what uses the key), at most 200 characters.</summary>
    public string Name { get; set; } = "";

    /// <summary>Gets or sets the scopes, space-separated as in OAuth 2.0 (RFC 6749 section 3.3), e.g. <c>read write</c>.</summary>
    public string Scopes { get; set; } = "";

    /// <summary>Gets or sets the SHA-256 hash of the whole key text (32 bytes).</summary>
    public byte[] KeyHash { get; set; } = [];

    /// <summary>Gets or sets when the key was created.</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets when the key was revoked; null while it is valid.</summary>
    public DateTimeOffset? RevokedAt { get; set; }
}
