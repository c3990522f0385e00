using System.Text.Json.Nodes;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Threads;
using Agent.Persistence.Wire;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Runs;

/// <summary>Commits a step, fenced on the lease epoch; ends, parks and rolls back a run the same way.</summary>
public partial class RunLifecycle
{
    /// <summary>
    /// Commits a step in one statement, one round trip to PostgreSQL, fenced on the epoch: the run's counters and event
    /// sequence, the checkpoint (after the run's input checkpoint, for its first step), the events, the model call, and
    /// for an end the thread's status and any pause's interrupts. All of it is written, or none of it (one statement
    /// in autocommit is atomic).
    /// </summary>
    /// <remarks>
    /// <para>
    /// The fenced <c>UPDATE agent.runs ... RETURNING</c> comes first, and every other write is a data-modifying CTE that
    /// reads its row (<c>FROM run</c>), so nothing is written when the fence refuses; a CTE the commit does not need
    /// is switched off by its own condition. Raw SQL through the context: no change tracking, no transaction object.
    /// </para>
    /// <para>
    /// A step that keeps the run leaves <c>lease_expires_at</c>, <c>status</c> and every other indexed column of
    /// <c>agent.runs</c> as they are, so the update is HOT-eligible (no index entries; PostgreSQL docs, "Heap-Only
    /// Tuples"; the table's fillfactor leaves the room). The lease is renewed by the worker's heartbeat (every third
    /// of its length), not by step commits.
    /// </para>
    /// <para>
    /// All sub-statements see one snapshot (PostgreSQL docs 7.8.4, "Data-Modifying Statements in WITH"): the thread
    /// CTE's look for another queued run of the thread sees this run as it was (<c>running</c>), which is what it needs.
    /// </para>
    /// </remarks>
    /// <param name="commit">What to write.</param>
    /// <param name="cancellationToken">Cancels the commit (nothing is written then).</param>
    /// <returns>The committed events and any pending cancel request, or null when the caller was fenced off.</returns>
    /// <exception cref="Npgsql.PostgresException">A constraint refused the commit, e.g. the step was committed before
    /// (<c>ux_checkpoints_run_id_step</c>); nothing was written.</exception>
    public virtual async Task<CommittedStep?> CommitStepAsync(RunStepCommit commit, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var final = commit.FinalStatus is { } finalStatus ? WireName.Of(finalStatus) : null;
        var ended = final is null ? (DateTimeOffset?)null : now;
        var retryAt = final is null ? commit.RetryAt : null;
        // A step keeps the run (its lease is the heartbeat's to renew); an end or a retry wait gives it up.
        var keepsLease = final is null && retryAt is null;
        var eventCount = (long)commit.Events.Count;
        var kinds = commit.Events.Select(e => e.Kind).ToArray();
        var data = commit.Events.Select(e => e.Data).ToArray();
        var checkpoint = commit.Checkpoint;
        var input = commit.InputCheckpoint;
        var call = commit.ModelCall;
        var threadStatus = commit.FinalThreadStatus is { } thread ? WireName.Of(thread) : null;
        var busy = WireName.Of(AgentThreadStatus.Busy);
        var rows = await context.Database.SqlQuery<FencedRow>($"""
            WITH run AS (
                UPDATE agent.runs
                   SET step_count = step_count + {commit.StepsAdded},
                       input_tokens = input_tokens + {commit.InputTokens},
                       output_tokens = output_tokens + {commit.OutputTokens},
                       cost_usd = cost_usd + {commit.CostUsd},
                       last_event_sequence = last_event_sequence + {eventCount},
                       lease_expires_at = CASE WHEN {keepsLease} THEN lease_expires_at END,
                       lease_owner = CASE WHEN {keepsLease} THEN lease_owner END,
                       status = COALESCE({final}::text, CASE WHEN {retryAt}::timestamptz IS NULL THEN status ELSE 'pending' END),
                       next_attempt_at = {retryAt}::timestamptz,
                       retry_count = retry_count + CASE WHEN {retryAt}::timestamptz IS NULL THEN 0 ELSE 1 END,
                       error = CASE WHEN {keepsLease} THEN error ELSE {commit.Error}::jsonb END,
                       ended_at = COALESCE({ended}::timestamptz, ended_at),
                       updated_at = {now}
                 WHERE run_id = {commit.RunId} AND lease_epoch = {commit.Epoch} AND status = 'running'
                RETURNING run_id, tenant_id, thread_id, assistant_id, last_event_sequence, cancel_action
            ),
            events AS (
                -- A step event whose messages and values are exactly its checkpoint's delta is stored without them
                -- (RunEventKinds.Step): the view agent.run_events_expanded, which EF Core reads, puts them back.
                INSERT INTO agent.run_events (run_id, sequence, kind, data, created_at)
                SELECT run.run_id, run.last_event_sequence - {eventCount} + e.n, e.kind,
                       CASE WHEN e.kind = 'step'
                                 AND d.data ->> 'checkpoint_id' = {checkpoint?.CheckpointId}::uuid::text
                                 AND d.data -> 'step' = to_jsonb({checkpoint?.Step}::integer)
                                 AND COALESCE(d.data ->> 'checkpoint_ns', '') = {checkpoint?.CheckpointNs ?? ""}::text
                                 AND d.data -> 'messages' = {checkpoint?.Delta}::jsonb -> 'messages'
                                 AND COALESCE(d.data -> 'values', jsonb_build_object()) = {checkpoint?.Delta}::jsonb - 'messages'
                                 AND (d.data -> 'values') IS DISTINCT FROM jsonb_build_object()
                            THEN d.data - 'messages' - 'values'
                            ELSE d.data END,
                       {now}
                  FROM run, unnest({kinds}::text[], {data}::text[]) WITH ORDINALITY AS e(kind, data, n),
                       LATERAL (SELECT e.data::jsonb AS data) AS d
            ),
            checkpoint AS (
                -- The input checkpoint (a run's first step only) and the step's, in that order: the rows are inserted
                -- as the ORDER BY yields them, so their sequence numbers (the fold order) follow.
                INSERT INTO agent.checkpoints (checkpoint_id, tenant_id, thread_id, run_id, parent_checkpoint_id, step, node,
                                               delta, metadata, next, interrupts, checkpoint_ns, created_at)
                SELECT c.checkpoint_id, c.tenant_id, c.thread_id, c.run_id, c.parent_checkpoint_id, c.step, c.node,
                       c.delta, c.metadata, c.next, c.interrupts, c.checkpoint_ns, {now}
                  FROM run, (VALUES
                        (1, {input?.CheckpointId}::uuid, {input?.TenantId}::text, {input?.ThreadId}::uuid,
                         {input?.RunId}::uuid, {input?.ParentCheckpointId}::uuid, {input?.Step}::integer,
                         {input?.Node}::text, {input?.Delta}::jsonb, {input?.Metadata}::jsonb,
                         {input?.Next}::text[], {input?.Interrupts}::jsonb, {input?.CheckpointNs ?? ""}::text),
                        (2, {checkpoint?.CheckpointId}::uuid, {checkpoint?.TenantId}::text, {checkpoint?.ThreadId}::uuid,
                         {checkpoint?.RunId}::uuid, {checkpoint?.ParentCheckpointId}::uuid, {checkpoint?.Step}::integer,
                         {checkpoint?.Node}::text, {checkpoint?.Delta}::jsonb, {checkpoint?.Metadata}::jsonb,
                         {checkpoint?.Next}::text[], {checkpoint?.Interrupts}::jsonb, {checkpoint?.CheckpointNs ?? ""}::text))
                       AS c(n, checkpoint_id, tenant_id, thread_id, run_id, parent_checkpoint_id, step, node, delta, metadata,
                            next, interrupts, checkpoint_ns)
                 WHERE c.checkpoint_id IS NOT NULL
                 ORDER BY c.n
            ),
            model_call AS (
                -- Thread and assistant are copied from the run row (usage groups by them without joins, and the
                -- caller cannot get them wrong).
                INSERT INTO agent.model_calls (model_call_id, run_id, step, thread_id, assistant_id, tenant_id, provider, model,
                                               input_tokens, output_tokens, cached_input_tokens, latency_ms, finish_reason,
                                               cost_usd, created_at)
                SELECT {Guid.CreateVersion7(now)}, run.run_id, {call?.Step}::integer, run.thread_id, run.assistant_id,
                       run.tenant_id, {call?.Provider}::text, {call?.Model}::text, {call?.InputTokens}::bigint,
                       {call?.OutputTokens}::bigint, {call?.CachedInputTokens}::bigint, {call?.LatencyMs}::double precision,
                       {call?.FinishReason}::text, {call?.CostUsd}::numeric, {now}
                  FROM run
                 WHERE {call is not null}
            ),
            paused AS (
                UPDATE agent.checkpoints c
                   SET interrupts = {commit.Interrupts}::jsonb
                  FROM run
                 WHERE {commit.Interrupts}::jsonb IS NOT NULL AND c.tenant_id = run.tenant_id AND c.thread_id = run.thread_id
                   AND c.checkpoint_id = {commit.PausedAt}::uuid
            ),
            thread AS (
                -- A queued run of the same thread keeps it busy.
                UPDATE agent.threads t
                   SET status = CASE WHEN EXISTS (SELECT 1 FROM agent.runs o
                                                   WHERE o.tenant_id = t.tenant_id AND o.thread_id = t.thread_id
                                                     AND o.status = 'pending')
                                     THEN {busy} ELSE {threadStatus}::text END,
                       updated_at = {now}
                  FROM run
                 WHERE {threadStatus}::text IS NOT NULL AND t.tenant_id = run.tenant_id AND t.thread_id = run.thread_id
            )
            SELECT last_event_sequence AS "LastSequence", cancel_action AS "CancelAction" FROM run
            """).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }

        foreach (var written in new[] { input, checkpoint }.OfType<Checkpoints.Checkpoint>())
        {
            written.CreatedAt = now;
        }

        var first = rows[0].LastSequence - commit.Events.Count + 1;
        var events = commit.Events
            .Select((e, i) => new RunEvent { RunId = commit.RunId, Sequence = first + i, Kind = e.Kind, Data = e.Data, CreatedAt = now })
            .ToList();
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

    private sealed record FencedRow(long LastSequence, string? CancelAction);
}
