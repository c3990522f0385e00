using System.Text.Json.Nodes;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Threads;
using Agent.Persistence.Usage;
using Agent.Persistence.Wire;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Runs;

/// <summary>Commits a step, fenced on the lease epoch; ends, parks and rolls back a run the same way.</summary>
public partial class RunLifecycle
{
    /// <summary>
    /// Commits a step in one transaction, fenced on the epoch: the run's counters and event sequence, the checkpoint
    /// (after the run's input checkpoint, for its first step), the events and the model call.
    /// </summary>
    /// <param name="commit">What to write.</param>
    /// <param name="cancellationToken">Cancels the commit (nothing is written then).</param>
    /// <returns>The committed events and any pending cancel request, or null when the caller was fenced off.</returns>
    public virtual async Task<CommittedStep?> CommitStepAsync(RunStepCommit commit, CancellationToken cancellationToken)
    {
        try
        {
            return await CommitStepCoreAsync(commit, cancellationToken);
        }
        catch
        {
            // A failed commit (e.g. PostgreSQL restarting) must not leave its rows tracked: a retry would add them twice.
            context.ChangeTracker.Clear();
            throw;
        }
    }

    private async Task<CommittedStep?> CommitStepCoreAsync(RunStepCommit commit, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var expires = now + commit.LeaseDuration;
        var final = commit.FinalStatus is { } finalStatus ? WireName.Of(finalStatus) : null;
        var ended = final is null ? (DateTimeOffset?)null : now;
        var retryAt = final is null ? commit.RetryAt : null;
        // A step keeps the run (and extends the lease); an end or a retry wait gives it up.
        var keepsLease = final is null && retryAt is null;
        var eventCount = commit.Events.Count;

        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        var rows = await context.Database.SqlQuery<FencedRow>($"""
            UPDATE agent.runs
               SET step_count = step_count + {commit.StepsAdded},
                   input_tokens = input_tokens + {commit.InputTokens},
                   output_tokens = output_tokens + {commit.OutputTokens},
                   cost_usd = cost_usd + {commit.CostUsd},
                   last_event_sequence = last_event_sequence + {eventCount},
                   lease_expires_at = CASE WHEN {keepsLease} THEN {expires} ELSE NULL END,
                   lease_owner = CASE WHEN {keepsLease} THEN lease_owner ELSE NULL END,
                   status = COALESCE({final}::text, CASE WHEN {retryAt}::timestamptz IS NULL THEN status ELSE 'pending' END),
                   next_attempt_at = {retryAt}::timestamptz,
                   retry_count = retry_count + CASE WHEN {retryAt}::timestamptz IS NULL THEN 0 ELSE 1 END,
                   error = CASE WHEN {keepsLease} THEN error ELSE {commit.Error}::jsonb END,
                   ended_at = COALESCE({ended}, ended_at),
                   updated_at = {now}
             WHERE run_id = {commit.RunId} AND lease_epoch = {commit.Epoch} AND status = 'running'
            RETURNING last_event_sequence AS "LastSequence", tenant_id AS "TenantId", thread_id AS "ThreadId",
                      cancel_action AS "CancelAction"
            """).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }

        var first = rows[0].LastSequence - eventCount + 1;
        var events = commit.Events
            .Select((e, i) => new RunEvent { RunId = commit.RunId, Sequence = first + i, Kind = e.Kind, Data = e.Data, CreatedAt = now })
            .ToList();
        foreach (var checkpoint in new[] { commit.InputCheckpoint, commit.Checkpoint }.OfType<Checkpoints.Checkpoint>())
        {
            // A retried commit reuses the entity: the identity value an earlier, rolled-back attempt read back must
            // not be sent (sequence is GENERATED ALWAYS).
            checkpoint.Sequence = default;
            checkpoint.CreatedAt = now;
            context.Checkpoints.Add(checkpoint);
        }

        context.RunEvents.AddRange(events);
        await context.SaveChangesAsync(cancellationToken);
        if (commit.ModelCall is { } call)
        {
            await InsertModelCallAsync(commit.RunId, call, now, cancellationToken);
        }

        if (commit is { Interrupts: { } interrupts, PausedAt: { } pausedAt })
        {
            var (tenantOfRun, threadOfRun) = (rows[0].TenantId, rows[0].ThreadId);
            await context.Checkpoints.Where(c => c.TenantId == tenantOfRun && c.ThreadId == threadOfRun && c.CheckpointId == pausedAt)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.Interrupts, interrupts), cancellationToken);
        }

        if (commit.FinalThreadStatus is { } threadStatus)
        {
            var (tenantId, threadId) = (rows[0].TenantId, rows[0].ThreadId);
            // A queued run of the same thread keeps it busy.
            var busy = await context.Runs.AnyAsync(
                r => r.TenantId == tenantId && r.ThreadId == threadId && r.Status == AgentRunStatus.Pending, cancellationToken);
            await context.Threads.Where(t => t.TenantId == tenantId && t.ThreadId == threadId).ExecuteUpdateAsync(
                s => s.SetProperty(t => t.Status, busy ? AgentThreadStatus.Busy : threadStatus).SetProperty(t => t.UpdatedAt, now),
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        context.ChangeTracker.Clear();
        return new CommittedStep(events, rows[0].CancelAction);
    }

    /// <summary>
    /// Ends a run with a terminal status, fenced on the epoch: the status event (<c>{"status", "error"?}</c>), the
    /// status, <c>ended_at</c> and the error; the lease is given up and the thread goes <c>idle</c> (success,
    /// interrupted) or <c>error</c> (error, timeout) unless another run of it is queued.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The caller's epoch.</param>
    /// <param name="status">A terminal status (<see cref="AgentRunStatus"/>).</param>
    /// <param name="error">The error (<c>{"error", "message", ...}</c>), or null.</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>The committed status event, or null when the caller was fenced off.</returns>
    /// <exception cref="ArgumentException"><paramref name="status"/> is not terminal.</exception>
    public Task<CommittedStep?> FinishAsync(Guid runId, long epoch, AgentRunStatus status, JsonObject? error, CancellationToken cancellationToken)
    {
        RunStateMachine.Require(AgentRunStatus.Running, status, RunStateMachine.Finish);
        var data = new JsonObject { ["status"] = WireName.Of(status) };
        if (error is not null)
        {
            data["error"] = error.DeepClone();
        }

        return CommitStepAsync(
            new RunStepCommit
            {
                RunId = runId,
                Epoch = epoch,
                Events = [(RunEventKinds.Status, data.ToJsonString())],
                FinalStatus = status,
                FinalThreadStatus = status is AgentRunStatus.Success or AgentRunStatus.Interrupted ? AgentThreadStatus.Idle : AgentThreadStatus.Error,
                Error = error?.ToJsonString(),
            },
            cancellationToken);
    }

    /// <summary>
    /// Ends a run that paused on interrupts (LangGraph's graph interrupt), fenced on the epoch: the run ends
    /// <c>success</c> (the reference server does not use <c>interrupted</c> for it), the thread goes
    /// <c>interrupted</c> (unless another run of it is queued), and the interrupts are written onto the checkpoint the
    /// run paused at. Events: <c>interrupt</c> (<c>{"node", "interrupts": [{"value", "id"}]}</c>), then the status.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The caller's epoch.</param>
    /// <param name="pausedAt">The checkpoint the run paused at, or null when the thread has none (nothing is written then).</param>
    /// <param name="interrupts">The interrupts, in the order raised.</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>The committed events, or null when the caller was fenced off.</returns>
    public Task<CommittedStep?> PauseAsync(
        Guid runId, long epoch, Guid? pausedAt, IReadOnlyList<Checkpoints.PendingInterrupt> interrupts, CancellationToken cancellationToken)
    {
        RunStateMachine.Require(AgentRunStatus.Running, AgentRunStatus.Success, RunStateMachine.Pause);
        var node = interrupts.Count > 0 ? interrupts[0].Node : null;
        var data = new JsonObject
        {
            ["node"] = node,
            ["interrupts"] = new JsonArray([.. interrupts.Where(i => i.IsWaiting).Select(i => (JsonNode)i.ToWire())]),
        };
        return CommitStepAsync(
            new RunStepCommit
            {
                RunId = runId,
                Epoch = epoch,
                Events =
                [
                    (RunEventKinds.Interrupt, data.ToJsonString()),
                    (RunEventKinds.Status, new JsonObject { ["status"] = WireName.Of(AgentRunStatus.Success) }.ToJsonString()),
                ],
                FinalStatus = AgentRunStatus.Success,
                FinalThreadStatus = AgentThreadStatus.Interrupted,
                Interrupts = Checkpoints.PendingInterrupt.ToJson(interrupts),
                PausedAt = pausedAt,
            },
            cancellationToken);
    }

    /// <summary>
    /// Parks a run for a retry wait, fenced on the epoch: status <c>pending</c>, lease given up,
    /// <c>next_attempt_at</c> = <paramref name="retryAt"/>, <c>retry_count + 1</c>, and a status event
    /// <c>{"status": "pending", "retry", "next_attempt_at", "error"}</c>. The sweeper sends the run when due.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The caller's epoch.</param>
    /// <param name="retry">The retry's number (1 for the first wait).</param>
    /// <param name="retryAt">When the run may be claimed again.</param>
    /// <param name="reason">Why (<c>{"error", "message", "call", "status_code"}</c>).</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>The committed status event, or null when the caller was fenced off.</returns>
    public Task<CommittedStep?> ParkAsync(
        Guid runId, long epoch, int retry, DateTimeOffset retryAt, JsonObject reason, CancellationToken cancellationToken)
    {
        var data = new JsonObject
        {
            ["status"] = WireName.Of(RunStateMachine.To(RunStateMachine.Park)),
            ["retry"] = retry,
            ["next_attempt_at"] = retryAt,
            ["error"] = reason.DeepClone(),
        };
        return CommitStepAsync(
            new RunStepCommit
            {
                RunId = runId,
                Epoch = epoch,
                Events = [(RunEventKinds.Status, data.ToJsonString())],
                RetryAt = retryAt,
                Error = reason.ToJsonString(),
            },
            cancellationToken);
    }

    /// <summary>
    /// Finds out whether a commit whose outcome is unknown (the connection broke while it was being committed) went
    /// through: it did when the run still has the caller's epoch and its event sequence moved past
    /// <paramref name="lastSequence"/>, since only the epoch's owner appends events.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The caller's epoch.</param>
    /// <param name="lastSequence">The run's last event sequence before the commit.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The committed events and any pending cancel request, or null when the commit did not happen.</returns>
    public async Task<CommittedStep?> FindCommittedAsync(Guid runId, long epoch, long lastSequence, CancellationToken cancellationToken)
    {
        var run = await context.Runs.AsNoTracking().Where(r => r.RunId == runId && r.LeaseEpoch == epoch)
            .Select(r => new { r.LastEventSequence, r.CancelAction }).FirstOrDefaultAsync(cancellationToken);
        if (run is null || run.LastEventSequence <= lastSequence)
        {
            return null;
        }

        var events = await context.RunEvents.AsNoTracking()
            .Where(e => e.RunId == runId && e.Sequence > lastSequence)
            .OrderBy(e => e.Sequence).ToListAsync(cancellationToken);
        return new CommittedStep(events, run.CancelAction);
    }

    /// <summary>
    /// Records a model call. Thread and assistant are copied from the run row in the same statement (so usage groups by
    /// them without joins, and the caller cannot get them wrong).
    /// </summary>
    private Task<int> InsertModelCallAsync(Guid runId, ModelCall call, DateTimeOffset now, CancellationToken cancellationToken) =>
        context.Database.ExecuteSqlAsync($"""
            INSERT INTO agent.model_calls (model_call_id, run_id, step, thread_id, assistant_id, tenant_id, provider, model,
                                           input_tokens, output_tokens, cached_input_tokens, latency_ms, finish_reason,
                                           cost_usd, created_at)
            SELECT {Guid.CreateVersion7(now)}, r.run_id, {call.Step}, r.thread_id, r.assistant_id, r.tenant_id, {call.Provider},
                   {call.Model}, {call.InputTokens}, {call.OutputTokens}, {call.CachedInputTokens}::bigint,
                   {call.LatencyMs}, {call.FinishReason}::text, {call.CostUsd}::numeric, {now}
              FROM agent.runs r
             WHERE r.run_id = {runId}
            """, cancellationToken);

    private sealed record FencedRow(long LastSequence, string TenantId, Guid ThreadId, string? CancelAction);
}
