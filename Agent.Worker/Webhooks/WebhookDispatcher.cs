using Agent.Persistence.Webhooks;
using Agent.Worker.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Webhooks;

/// <summary>
/// Delivers run webhooks from the durable outbox (<see cref="WebhookOutbox"/>), so a slow receiver never holds a run
/// slot and a worker crash loses nothing: when a run with a <c>webhook</c> ends (success, error, timeout or
/// interrupted; a rolled-back run is gone and sends none), the transaction that ends it also inserts its delivery row,
/// and any worker sends one POST of the LangGraph payload (reference section 7.2, built by
/// <see cref="WebhookOutbox.BuildPayloadAsync"/>).
/// </summary>
/// <remarks>
/// Delivery is at least once: a worker that dies mid-delivery leaves a claim that expires after
/// <see cref="WebhookOutboxOptions.ClaimSeconds"/>, and another worker sends it again. A failed attempt (after
/// <see cref="WebhookSender"/>'s own HTTP retries) is due again after <see cref="WebhookOutboxOptions.RetrySeconds"/>,
/// doubling, until <see cref="WebhookOutboxOptions.MaxAttempts"/>. LangGraph Server makes one attempt and no signature.
/// </remarks>
internal sealed partial class WebhookDispatcher(
    IServiceScopeFactory scopes, IOptions<WebhookOptions> options, IOptions<WebhookOutboxOptions> outboxOptions,
    IOptions<AgentWorkerOptions> workerOptions, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private readonly SemaphoreSlim wake = new(0, 1);

    /// <summary>Tells the dispatcher that a run has just ended here, so it looks at the outbox now rather than at its next poll.</summary>
    /// <param name="runId">The run (its delivery row, if it has a webhook, was committed with its end).</param>
    public void Enqueue(Guid runId)
    {
        _ = runId;
        try
        {
            wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: one look covers every run ended since.
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrEmpty(options.Value.SigningSecret))
        {
            LogUnsigned(logger);
        }

        var outbox = outboxOptions.Value;
        var owner = workerOptions.Value.InstanceId;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var claimed = 0;
                try
                {
                    claimed = await DeliverDueAsync(owner, outbox, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The database is away (a restart): the rows wait, and the next poll tries again.
                    LogPollFailed(logger, ex);
                }

                if (claimed < outbox.Concurrency)
                {
                    await wake.WaitAsync(TimeSpan.FromMilliseconds(outbox.PollIntervalMs), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Deliveries in flight keep their claims, which expire; another worker (or this one, restarted) sends them.
        }
    }

    private async Task<int> DeliverDueAsync(string owner, WebhookOutboxOptions outbox, CancellationToken cancellationToken)
    {
        IReadOnlyList<WebhookDelivery> due;
        await using (var scope = scopes.CreateAsyncScope())
        {
            due = await scope.ServiceProvider.GetRequiredService<WebhookOutbox>()
                .ClaimAsync(owner, TimeSpan.FromSeconds(outbox.ClaimSeconds), outbox.Concurrency, cancellationToken);
        }

        await Task.WhenAll(due.Select(delivery => DeliverOneAsync(delivery, owner, outbox, cancellationToken)));
        return due.Count;
    }

    private async Task DeliverOneAsync(WebhookDelivery delivery, string owner, WebhookOutboxOptions outbox, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<WebhookOutbox>();
        var (status, failure) = (default(int?), default(string));
        try
        {
            var payload = await store.BuildPayloadAsync(delivery.RunId, cancellationToken);
            if (payload is null || !Uri.TryCreate(delivery.Url, UriKind.Absolute, out var url))
            {
                await store.FailAsync(delivery, owner, null, payload is null ? "the run no longer exists" : "not an absolute URL", null, cancellationToken);
                LogUndelivered(logger, delivery.RunId, "gone");
                return;
            }

            // A typed HTTP client per delivery: the factory rotates its handlers, so DNS changes are seen.
            var sender = scope.ServiceProvider.GetRequiredService<WebhookSender>();
            (status, failure) = await sender.SendAsync(url, payload, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            failure = ex.Message;
            LogFailed(logger, ex, delivery.RunId);
        }

        if (status is >= 200 and < 300)
        {
            await store.CompleteAsync(delivery, owner, status.Value, cancellationToken);
            LogDelivered(logger, delivery.RunId, status.Value);
            return;
        }

        var retryAfter = delivery.Attempts >= outbox.MaxAttempts
            ? (TimeSpan?)null
            : TimeSpan.FromSeconds(outbox.RetrySeconds * Math.Pow(2, delivery.Attempts - 1));
        await store.FailAsync(delivery, owner, status, status?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? failure ?? "no answer", retryAfter, cancellationToken);
        LogUndelivered(logger, delivery.RunId, retryAfter is null ? $"{status?.ToString() ?? failure}; giving up after {delivery.Attempts} attempts" : $"{status?.ToString() ?? failure}; again in {retryAfter.Value.TotalSeconds} s");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhooks:SigningSecret is not set: webhooks are sent without an X-Agent-Signature header")]
    private static partial void LogUnsigned(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of run {RunId} delivered ({StatusCode})")]
    private static partial void LogDelivered(ILogger logger, Guid runId, int statusCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of run {RunId} was not delivered: {Reason}")]
    private static partial void LogUndelivered(ILogger logger, Guid runId, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook of run {RunId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the webhook outbox; trying again at the next poll")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
