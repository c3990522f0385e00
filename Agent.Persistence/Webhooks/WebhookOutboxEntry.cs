namespace Agent.Persistence.Webhooks;

/// <summary>
/// A row of the webhook outbox (<c>agent.webhook_deliveries</c>): one per ended run that has a <c>webhook</c>,
/// inserted by the trigger <c>runs_enqueue_webhook</c> in the transaction that ends the run. Read and written through
/// <see cref="WebhookOutbox"/>; mapped so that the migrations and the model describe the same schema.
/// </summary>
public sealed class WebhookOutboxEntry
{
    /// <summary>Gets or sets the delivery id (the database generates it).</summary>
    public Guid DeliveryId { get; set; }

    /// <summary>Gets or sets the run that ended.</summary>
    public Guid RunId { get; set; }

    /// <summary>Gets or sets the run's tenant (null for runs made before tenancy).</summary>
    public string? TenantId { get; set; }

    /// <summary>Gets or sets the webhook URL, as the run was created with it.</summary>
    public string Url { get; set; } = string.Empty;

    /// <summary>Gets or sets when the run ended (the row's insert).</summary>
    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>Gets or sets when the next attempt is due.</summary>
    public DateTimeOffset NextAttemptAt { get; set; }

    /// <summary>Gets or sets how many attempts were claimed so far.</summary>
    public int Attempts { get; set; }

    /// <summary>Gets or sets the worker instance that holds the claim, if any.</summary>
    public string? ClaimedBy { get; set; }

    /// <summary>Gets or sets when the claim expires (another worker may then deliver).</summary>
    public DateTimeOffset? ClaimedUntil { get; set; }

    /// <summary>Gets or sets when a 2xx answer was received.</summary>
    public DateTimeOffset? DeliveredAt { get; set; }

    /// <summary>Gets or sets when the outbox gave up (after <c>WebhookOutbox:MaxAttempts</c>).</summary>
    public DateTimeOffset? FailedAt { get; set; }

    /// <summary>Gets or sets the receiver's last HTTP status, if one answered.</summary>
    public int? LastStatus { get; set; }

    /// <summary>Gets or sets why the last attempt failed (a status or an exception message; never a body or secret).</summary>
    public string? LastError { get; set; }
}
