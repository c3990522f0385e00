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
    /// Commits a step in one statement, one round trip to PostgreSQL (<see cref="StepCommitStatement"/>), fenced on the
    /// epoch: the run's counters and event sequence, the checkpoint, the events, the model call, and for an end the
    /// thread's status and any pause's interrupts. All of it is written, or none of it (one statement is atomic).
    /// </summary>
    /// <param name="commit">What to write.</param>
    /// <param name="cancellationToken">Cancels the commit (nothing is written then).</param>
    /// <returns>The committed events and any pending cancel request, or null when the caller was fenced off.</returns>
    /// <exception cref="Npgsql.PostgresException">A constraint refused the commit, e.g. the step was committed before
    /// (<c>ux_checkpoints_run_id_step</c>); nothing was written.</exception>
    public virtual async Task<CommittedStep?> CommitStepAsync(RunStepCommit commit, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var (sql, parameters) = StepCommitStatement.Build(commit, now);
        // Raw SQL through the context: no change tracking, no transaction object, no second statement.
        var rows = await context.Database.SqlQueryRaw<FencedRow>(sql, parameters).ToListAsync(cancellationToken);
        if (rows.Count == 0)
        {
            return null;
        }

        if (commit.Checkpoint is { } checkpoint)
        {
            checkpoint.CreatedAt = now;
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
