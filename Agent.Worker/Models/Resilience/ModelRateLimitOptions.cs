using Agent.Persistence.RateLimits;

namespace Agent.Worker.Models.Resilience;

/// <summary>
/// The provider rate limits every worker enforces together (configuration section <c>RateLimits</c>, a list).
/// </summary>
/// <remarks>
/// A list rather than a map because model ids may contain <c>:</c>, the configuration path separator. Example
/// (environment): <c>RateLimits__0__Model=gpt-4o-mini</c>, <c>RateLimits__0__RequestsPerMinute=500</c>,
/// <c>RateLimits__0__TokensPerMinute=200000</c>. Default: no limits.
/// </remarks>
public sealed class ModelRateLimitOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "RateLimits";

    /// <summary>Gets or sets the provider name as the chat client reports it (e.g. <c>openai</c>), or null for any provider.</summary>
    public string? Provider { get; set; }

    /// <summary>Gets or sets the model id the limit applies to (required).</summary>
    public string Model { get; set; } = "";

    /// <summary>Gets or sets the most requests per minute across all workers, or null for none.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Gets or sets the most tokens (input + output) per minute across all workers, or null for none.</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>Gets or sets how many requests may go at once before pacing. Default 1 (evenly paced).</summary>
    public int RequestBurst { get; set; } = 1;

    /// <summary>Builds the shared limit for <paramref name="provider"/>.</summary>
    /// <param name="provider">The provider the call goes to.</param>
    /// <returns>The rule, keyed <c>{provider}:{model}</c>.</returns>
    public RateLimitRule ToRule(string provider) => new($"{provider}:{Model}", RequestsPerMinute, TokensPerMinute, RequestBurst);
}
