using System.ComponentModel.DataAnnotations;

namespace Agent.Worker.Webhooks;

/// <summary>
/// Configures how workers deliver the webhook outbox (configuration section <c>Webhooks:Outbox</c>, e.g.
/// <c>Webhooks__Outbox__ClaimSeconds</c>). The HTTP retries of one attempt are <see cref="WebhookOptions"/>'; these are
/// the durable retries between attempts, which survive a worker's crash.
/// </summary>
public sealed class WebhookOutboxOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Webhooks:Outbox";

    /// <summary>Gets or sets how often a worker looks for due deliveries, in ms (a run ending on it looks at once). Default is 1,000.</summary>
    [Range(10, 600_000)]
    public int PollIntervalMs { get; set; } = 1000;

    /// <summary>
    /// Gets or sets how long a claimed delivery stays with its worker, in seconds; a worker that dies holds it that
    /// long. Keep it above one attempt with its HTTP retries (about <c>MaxAttempts x (TimeoutSeconds + backoff)</c>).
    /// Default is 120.
    /// </summary>
    [Range(1, 3600)]
    public int ClaimSeconds { get; set; } = 120;

    /// <summary>Gets or sets how many attempts a delivery gets before it is given up (<c>failed_at</c>). Default is 6.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Gets or sets the wait after the first failed attempt, in seconds; each next one doubles (30 s, 1, 2, 4, 8 min). Default is 30.</summary>
    [Range(0.01, 86_400)]
    public double RetrySeconds { get; set; } = 30;

    /// <summary>Gets or sets how many deliveries a worker sends at once. Default is 4.</summary>
    [Range(1, 64)]
    public int Concurrency { get; set; } = 4;
}
