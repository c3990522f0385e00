using System.ComponentModel.DataAnnotations;

namespace Agent.Api.Http;

/// <summary>
/// Bounds on what one request may ask for (section <c>Limits</c>, e.g. environment <c>Limits__MaxMessages</c>).
/// Each violation answers 4xx with a detail naming the limit; see docs/operations.md.
/// </summary>
public sealed class ApiLimits
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Limits";

    /// <summary>Gets the defaults, for code that runs without configuration (unit tests).</summary>
    public static ApiLimits Default { get; } = new();

    /// <summary>Gets or sets the largest request body, in bytes. Default 1 MiB; larger bodies answer 413.</summary>
    [Range(1024, 64L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets the deepest JSON nesting of a body. Default 64 (System.Text.Json's default); deeper answers 400.</summary>
    [Range(4, 256)]
    public int MaxJsonDepth { get; set; } = 64;

    /// <summary>Gets or sets the most input messages one run may add. Default 100; more answer 422.</summary>
    [Range(1, 10_000)]
    public int MaxMessages { get; set; } = 100;

    /// <summary>Gets or sets the longest message content, in characters. Default 100,000; longer answers 422.</summary>
    [Range(1, 10_000_000)]
    public int MaxMessageChars { get; set; } = 100_000;

    /// <summary>
    /// Gets or sets the largest <c>metadata</c> object of a body, in bytes of its JSON text. Default 16 KiB; larger
    /// answers 422. Checked for every body with a top-level <c>metadata</c> field.
    /// </summary>
    [Range(2, 1024 * 1024)]
    public int MaxMetadataBytes { get; set; } = 16 * 1024;

    /// <summary>Gets or sets the largest <c>config.recursion_limit</c> (steps per run). Default 1,000; larger answers 422.</summary>
    [Range(1, 100_000)]
    public int MaxRecursionLimit { get; set; } = 1000;

    /// <summary>
    /// Gets or sets how many runs one tenant may have pending or running at once. Default 100; a submission beyond it
    /// answers 429 with <c>Retry-After</c>; 0 turns the limit off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int MaxConcurrentRunsPerTenant { get; set; } = 100;
}
