using System.ComponentModel.DataAnnotations;

namespace Agent.Api.RateLimiting;

/// <summary>
/// The per-key request rate limit (section <c>RateLimit</c>, e.g. environment <c>RateLimit__RequestsPerMinute</c>):
/// a token bucket per API key (per client IP for requests without a valid key).
/// </summary>
public sealed class ApiRateLimitOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "RateLimit";

    /// <summary>Gets or sets the sustained rate per key, in requests per minute. Default 1,200; 0 turns the limit off.</summary>
    [Range(0, 6_000_000)]
    public int RequestsPerMinute { get; set; } = 1200;

    /// <summary>Gets or sets how many requests a key may make at once after being idle (the bucket's size). Default 200.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 200;

    /// <summary>
    /// Gets or sets whether a key's bucket is shared by every API replica through PostgreSQL (table
    /// <c>agent.provider_rate_limits</c>, key <c>api-key:{key_id}</c>). Default true; false gives each replica its
    /// own buckets (N replicas then admit up to N times the rate).
    /// </summary>
    public bool Shared { get; set; } = true;
}
