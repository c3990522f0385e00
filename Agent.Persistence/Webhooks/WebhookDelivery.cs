namespace Agent.Persistence.Webhooks;

/// <summary>A webhook delivery claimed from the outbox (<c>agent.webhook_deliveries</c>).</summary>
/// <param name="DeliveryId">The delivery.</param>
/// <param name="RunId">The run that ended.</param>
/// <param name="Url">The webhook URL, as the run was created with it.</param>
/// <param name="Attempts">Attempts so far, this one included.</param>
public sealed record WebhookDelivery(Guid DeliveryId, Guid RunId, string Url, int Attempts);
