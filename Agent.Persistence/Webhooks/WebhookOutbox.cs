using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Webhooks;

/// <summary>
/// The durable webhook outbox (<c>agent.webhook_deliveries</c>). A row is inserted by a trigger in the transaction
/// that ends a run (migration <c>WebhookOutbox</c>), so a run's end and its pending webhook commit together. Any
/// worker claims due rows for a while (<c>FOR UPDATE SKIP LOCKED</c>, then a claim that expires), delivers them, and
/// marks them delivered or due again later; a worker that dies mid-delivery leaves a claim that expires, and another
/// worker delivers it. Delivery is therefore at least once.
/// </summary>
/// <param name="db">A context (any tenant scope: the outbox is not tenant-filtered and only workers use it).</param>
/// <param name="timeProvider">The clock.</param>
public sealed class WebhookOutbox(AgentDbContext db, TimeProvider timeProvider)
{
    /// <summary>Claims due deliveries that nobody holds, for <paramref name="claimFor"/>.</summary>
    /// <param name="owner">The claiming worker's instance id.</param>
    /// <param name="claimFor">How long the claim lasts: longer than one delivery with its HTTP retries.</param>
    /// <param name="limit">At most this many.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>The claimed deliveries, oldest due first.</returns>
    public async Task<IReadOnlyList<WebhookDelivery>> ClaimAsync(string owner, TimeSpan claimFor, int limit, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var until = now + claimFor;
        return await db.Database.SqlQuery<WebhookDelivery>($"""
            UPDATE agent.webhook_deliveries d
            SET claimed_by = {owner}, claimed_until = {until}, attempts = d.attempts + 1
            WHERE d.delivery_id IN (
                SELECT delivery_id FROM agent.webhook_deliveries
                WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= {now}
                  AND (claimed_until IS NULL OR claimed_until < {now})
                ORDER BY next_attempt_at
                LIMIT {limit}
                FOR UPDATE SKIP LOCKED)
            RETURNING d.delivery_id AS "DeliveryId", d.run_id AS "RunId", d.url AS "Url", d.attempts AS "Attempts"
            """).ToListAsync(cancellationToken);
    }

    /// <summary>Marks a claimed delivery delivered (only if this worker still holds it).</summary>
    /// <param name="delivery">The delivery.</param>
    /// <param name="owner">The worker's instance id.</param>
    /// <param name="status">The receiver's HTTP status.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>True when this worker still held the claim.</returns>
    public async Task<bool> CompleteAsync(WebhookDelivery delivery, string owner, int status, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        return await db.Database.ExecuteSqlAsync($"""
            UPDATE agent.webhook_deliveries
            SET delivered_at = {now}, claimed_until = NULL, last_status = {status}, last_error = NULL
            WHERE delivery_id = {delivery.DeliveryId} AND claimed_by = {owner}
            """, cancellationToken) == 1;
    }

    /// <summary>Records a failed attempt: due again after <paramref name="retryAfter"/>, or given up when null.</summary>
    /// <param name="delivery">The delivery.</param>
    /// <param name="owner">The worker's instance id.</param>
    /// <param name="status">The receiver's HTTP status, or null when none answered.</param>
    /// <param name="error">Why it failed (no body or secret: a status, an exception message).</param>
    /// <param name="retryAfter">The wait before the next attempt, or null to give up.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    /// <returns>A task completing when recorded.</returns>
    public async Task FailAsync(
        WebhookDelivery delivery, string owner, int? status, string error, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var next = now + (retryAfter ?? TimeSpan.Zero);
        DateTimeOffset? failedAt = retryAfter is null ? now : null;
        await db.Database.ExecuteSqlAsync($"""
            UPDATE agent.webhook_deliveries
            SET claimed_until = NULL, next_attempt_at = {next}, failed_at = {failedAt}, last_status = {status}, last_error = {error}
            WHERE delivery_id = {delivery.DeliveryId} AND claimed_by = {owner}
            """, cancellationToken);
    }

    /// <summary>
    /// Builds a delivery's body, the LangGraph webhook payload (reference section 7.2): the Run object
    /// (<see cref="RunJson"/>) plus <c>status</c>, <c>values</c> (the thread's state as the run left it: its last
    /// checkpoint's branch, since a later run may have moved the thread on), <c>run_started_at</c>,
    /// <c>run_ended_at</c>, <c>webhook_sent_at</c> (now) and <c>error</c>.
    /// </summary>
    /// <param name="runId">The delivery's run.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The payload as JSON text, or null when the run is gone or (no longer) ended.</returns>
    public async Task<string?> BuildPayloadAsync(Guid runId, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.RunId == runId, cancellationToken);
        if (run is null || !AgentRunStatus.IsTerminal(run.Status))
        {
            return null;
        }

        var checkpoints = await db.Checkpoints.AsNoTracking()
            .Where(c => c.TenantId == run.TenantId && c.ThreadId == run.ThreadId).OrderBy(c => c.Sequence).ToListAsync(cancellationToken);
        var last = checkpoints.LastOrDefault(c => c.RunId == run.RunId) ?? CheckpointFold.Head(checkpoints);
        var payload = RunJson.From(run);
        payload["status"] = WireName.Of(run.Status);
        payload["values"] = new JsonObject { ["messages"] = CheckpointFold.Fold(CheckpointFold.Lineage(checkpoints, last?.CheckpointId)) };
        payload["run_started_at"] = run.StartedAt;
        payload["run_ended_at"] = run.EndedAt;
        payload["webhook_sent_at"] = timeProvider.GetUtcNow();
        payload["error"] = run.Error is null ? null : JsonNode.Parse(run.Error);
        return payload.ToJsonString();
    }
}
