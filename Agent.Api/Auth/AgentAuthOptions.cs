using System.ComponentModel.DataAnnotations;
using Agent.Persistence.Tenancy;

namespace Agent.Api.Auth;

/// <summary>
/// Authentication settings (section <c>Auth</c>, e.g. environment <c>Auth__Disabled</c>).
/// </summary>
public sealed class AgentAuthOptions : IValidatableObject
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Auth";

    /// <summary>The environment variable that may hold <see cref="BootstrapKey"/>.</summary>
    public const string BootstrapKeyVariable = "AGENT_BOOTSTRAP_API_KEY";

    /// <summary>The environment variable that may hold <see cref="BootstrapTenant"/>.</summary>
    public const string BootstrapTenantVariable = "AGENT_BOOTSTRAP_TENANT";

    /// <summary>The shortest bootstrap key accepted, in characters: 32 (e.g. <c>openssl rand -hex 32</c> gives 64).</summary>
    public const int MinBootstrapKeyLength = 32;

    /// <summary>
    /// Gets or sets whether authentication is off: every caller is then tenant <see cref="AgentTenants.Default"/>
    /// with every scope, and the server logs a warning at startup. Default <see langword="false"/>; only for local
    /// development on a machine nobody else reaches.
    /// </summary>
    public bool Disabled { get; set; }

    /// <summary>
    /// Gets or sets a key accepted in addition to the stored ones, with every scope, for <see cref="BootstrapTenant"/>:
    /// how the first admin gets in, and what scripts and tests use. At least <see cref="MinBootstrapKeyLength"/>
    /// characters. Default: the <c>AGENT_BOOTSTRAP_API_KEY</c> environment variable, else none. Secrets come from the
    /// environment only: never put it in a checked-in appsettings file.
    /// </summary>
    public string? BootstrapKey { get; set; }

    /// <summary>
    /// Gets or sets the tenant of the bootstrap key. Default: <c>AGENT_BOOTSTRAP_TENANT</c>, else
    /// <see cref="AgentTenants.Default"/>.
    /// </summary>
    public string? BootstrapTenant { get; set; }

    /// <summary>
    /// Gets or sets how long a stored key's lookup is cached per API replica, in seconds. Default 5; 0 disables the
    /// cache. A key revoked through one replica's admin endpoint is refused by that replica at once, and by every
    /// other replica (or after a revocation with the worker's <c>keys revoke</c>) within this many seconds.
    /// </summary>
    [Range(0, 300)]
    public int KeyCacheSeconds { get; set; } = 5;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BootstrapKey is { } key && key.Length < MinBootstrapKeyLength)
        {
            yield return new ValidationResult(
                $"The bootstrap API key ({BootstrapKeyVariable}) must be at least {MinBootstrapKeyLength} characters; " +
                "generate one with: openssl rand -hex 32");
        }

        if (!AgentTenants.IsValid(BootstrapTenant))
        {
            yield return new ValidationResult(
                $"The bootstrap tenant ({BootstrapTenantVariable}) must be 1 to {AgentTenants.MaxLength} characters of letters, digits, '-', '_' and '.'.");
        }
    }
}
