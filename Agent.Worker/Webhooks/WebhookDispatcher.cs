using System.Text.Json.Nodes;
using System.Threading.Channels;
using Agent.Persistence;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Webhooks;

/// <summary>
/// Delivers run webhooks in the background, so a slow receiver never holds a run slot: when a run with a
/// <c>webhook</c> ends (success, error, timeout or interrupted; a rolled-back run is gone and sends none), one POST of
/// the LangGraph payload (reference section 7.2): the Run object plus <c>status</c>, <c>values</c> (the thread's state
/// as the run left it), <c>run_started_at</c>, <c>run_ended_at</c>, <c>webhook_sent_at</c> and <c>error</c>.
/// </summary>
/// <remarks>
/// Delivery is at most once per run end, with retries (<see cref="WebhookSender"/>); a worker that stops while a
/// delivery is pending or retrying loses it (logged). LangGraph Server makes one attempt and no signature.
/// </remarks>
internal sealed partial class WebhookDispatcher(
    IServiceScopeFactory scopes, IOptions<WebhookOptions> options, TimeProvider timeProvider,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    private readonly Channel<Guid> endedRuns = Channel.CreateUnbounded<Guid>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Queues a run that has just ended; its webhook, if it has one, is delivered soon.</summary>
    /// <param name="runId">The run.</param>
    public void Enqueue(Guid runId) => endedRuns.Writer.TryWrite(runId);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrEmpty(options.Value.SigningSecret))
        {
            LogUnsigned(logger);
        }

        try
        {
            await foreach (var runId in endedRuns.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await DeliverAsync(runId, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(logger, ex, runId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            if (endedRuns.Reader.Count > 0)
            {
                LogDropped(logger, endedRuns.Reader.Count);
            }
        }
    }

    private async Task DeliverAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AgentDbContext>();
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.RunId == runId, cancellationToken);
        if (run is null || !AgentRunStatus.IsTerminal(run.Status)
            || JsonNode.Parse(run.Kwargs)?["webhook"] is not JsonValue webhook || !Uri.TryCreate(webhook.GetValue<string>(), UriKind.Absolute, out var url))
        {
            return;
        }

        var checkpoints = await db.Checkpoints.AsNoTracking()
            .Where(c => c.TenantId == run.TenantId && c.ThreadId == run.ThreadId).OrderBy(c => c.Sequence).ToListAsync(cancellationToken);
        // The state as this run left it: its last checkpoint's branch (a later run may have moved the thread on).
        var last = checkpoints.LastOrDefault(c => c.RunId == run.RunId) ?? CheckpointFold.Head(checkpoints);
        var payload = RunJson.From(run);
        payload["status"] = run.Status;
        payload["values"] = new JsonObject { ["messages"] = CheckpointFold.Fold(CheckpointFold.Lineage(checkpoints, last?.CheckpointId)) };
        payload["run_started_at"] = run.StartedAt;
        payload["run_ended_at"] = run.EndedAt;
        payload["webhook_sent_at"] = timeProvider.GetUtcNow();
        payload["error"] = run.Error is null ? null : JsonNode.Parse(run.Error);

        // A typed HTTP client per delivery: the factory rotates its handlers, so DNS changes are seen.
        var sender = scope.ServiceProvider.GetRequiredService<WebhookSender>();
        var (status, failure) = await sender.SendAsync(url, payload.ToJsonString(), cancellationToken);
        if (status is >= 200 and < 300)
        {
            LogDelivered(logger, runId, status.Value);
        }
        else
        {
            LogUndelivered(logger, runId, status?.ToString() ?? failure);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhooks:SigningSecret is not set: webhooks are sent without an X-Agent-Signature header")]
    private static partial void LogUnsigned(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of run {RunId} delivered ({StatusCode})")]
    private static partial void LogDelivered(ILogger logger, Guid runId, int statusCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of run {RunId} was not delivered: {Reason}")]
    private static partial void LogUndelivered(ILogger logger, Guid runId, string? reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook of run {RunId} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping with {Count} webhook deliveries not sent")]
    private static partial void LogDropped(ILogger logger, int count);
}
