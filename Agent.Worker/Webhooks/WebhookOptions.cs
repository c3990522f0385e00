using System.ComponentModel.DataAnnotations;

namespace Agent.Worker.Webhooks;

/// <summary>
/// Configures webhook delivery (configuration section <c>Webhooks</c>, e.g. <c>Webhooks__SigningSecret</c>).
/// </summary>
public sealed class WebhookOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Webhooks";

    /// <summary>
    /// Gets or sets a value indicating whether webhooks may target private, loopback and link-local addresses.
    /// Default is false (the API refuses such a webhook with 422; the worker refuses to connect to one).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>
    /// Gets or sets the HMAC-SHA256 key that signs every delivery (header <c>X-Agent-Signature</c>), or null to send
    /// unsigned (a warning is logged at startup).
    /// </summary>
    public string? SigningSecret { get; set; }

    /// <summary>Gets or sets how many times a delivery is attempted in all. Default is 5.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Gets or sets the first retry's delay in ms; each next one doubles, with jitter. Default is 1,000.</summary>
    [Range(1, 600_000)]
    public int RetryBaseDelayMs { get; set; } = 1000;

    /// <summary>Gets or sets the time limit of one attempt, in seconds. Default is 10.</summary>
    [Range(1, 300)]
    public int TimeoutSeconds { get; set; } = 10;
}
