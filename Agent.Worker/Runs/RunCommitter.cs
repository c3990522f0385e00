using System.Text.Json.Nodes;
using Agent.Worker.Models.Resilience;
using Agent.Persistence.Identifiers;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Agent.Worker.Budgets;
using Agent.Worker.Options;
using Agent.Worker.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// The executor's side of <see cref="RunLifecycle"/>: every state change the worker makes (commit a step, finish,
/// park, roll back, hand back) goes through the lifecycle with the commit's retries and the recovery of a commit whose
/// outcome is unknown (<see cref="StepRetries.CommitAsync{T}"/>), then updates the <see cref="RunProgress"/> and
/// publishes the committed events.
/// </summary>
internal sealed partial class RunCommitter(
    RunLifecycle lifecycle,
    RunQueries runs,
    RunDispatcher dispatcher,
    RunEventPublisher events,
    StepCommitBuilder steps,
    StepRetries retries,
    RunningRuns runningRuns,
    IOptions<AgentWorkerOptions> options,
    TimeProvider timeProvider,
    ILogger<RunCommitter> logger)
{
    /// <summary>Commits a step and advances the run past it.</summary>
    /// <param name="run">The run.</param>
    /// <param name="node">The node that ran.</param>
    /// <param name="result">What the node produced (its delta is not null).</param>
    /// <param name="next">The node the graph runs after this step (recorded as the checkpoint's <c>next</c>), or null when unknown.</param>
    /// <param name="afterInput">Whether the step applies the run's new input (its input checkpoint is written first, <see cref="StepCommitBuilder"/>).</param>
    /// <returns>A task that completes when the step is committed; its events are being published (<see cref="PublishedAsync"/>).</returns>
    /// <exception cref="OperationCanceledException">Another worker took the run over (<see cref="RunProgress.Fenced"/> is set).</exception>
    public async Task CommitStepAsync(RunProgress run, string node, NodeResult result, string? next, bool afterInput = false)
    {
        var commit = steps.Build(run, node, result.Delta!, result.ModelStep, result.ToolCalls, result.Values, next, afterInput);
        var committed = await CommitAsync(run, token => lifecycle.CommitStepAsync(commit, token), CancellationToken.None);
        if (committed is null)
        {
            run.Fenced = true;
            throw new OperationCanceledException("The run's lease was taken over by another worker.");
        }

        run.ParentCheckpointId = commit.Checkpoint!.CheckpointId;
        run.NextStep++;
        run.StepCount += commit.StepsAdded;
        run.Spend = new RunSpend(
            run.Spend.InputTokens + commit.InputTokens, run.Spend.OutputTokens + commit.OutputTokens, run.Spend.CostUsd + commit.CostUsd);
        LogStepCommitted(logger, run.RunId, commit.Checkpoint.Step, node);
        // In the background: the events are durable, and the relay fills what live streaming misses (RunEventPublisher).
        events.Enqueue(run, committed.Events);
        if (committed.CancelAction is { } action)
        {
            // The API recorded a cancel the fan-out did not deliver (e.g. this worker's queue was not yet bound).
            runningRuns.RequestCancel(run.RunId, action);
        }
    }

    /// <summary>Waits until the run's events queued for live streaming are published (or given up); never throws.</summary>
    /// <returns>A task that completes when nothing is in flight.</returns>
    public Task PublishedAsync() => events.DrainAsync();

    /// <summary>Ends the run with a terminal status (<see cref="RunLifecycle.FinishAsync"/>).</summary>
    /// <param name="run">The run.</param>
    /// <param name="status">The terminal status.</param>
    /// <param name="error">The error, or null.</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>A task that completes when the end is committed (or the run was fenced off).</returns>
    public async Task FinishAsync(RunProgress run, AgentRunStatus status, JsonObject? error, CancellationToken cancellationToken)
    {
        var committed = await CommitAsync(run, token => lifecycle.FinishAsync(run.RunId, run.Epoch, status, error, token), cancellationToken);
        if (committed is null)
        {
            run.Fenced = true;
            return;
        }

        run.Ended = true;
        LogRunEnded(logger, run.RunId, WireName.Of(status), run.StepCount);
        await RunTelemetry.RecordEndedAsync(runs, run.RunId, status);
        await events.PublishAsync(run, committed.Events, terminal: true);
    }

    /// <summary>
    /// Pauses the run on interrupts (<see cref="RunLifecycle.PauseAsync"/>) at its current head checkpoint: the run ends
    /// <c>success</c>, the thread goes <c>interrupted</c>, and the stream gets <c>__interrupt__</c>.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="interrupts">The interrupts, in the order raised.</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>A task that completes when the pause is committed (or the run was fenced off).</returns>
    public async Task PauseAsync(RunProgress run, IReadOnlyList<Persistence.Checkpoints.PendingInterrupt> interrupts, CancellationToken cancellationToken)
    {
        var committed = await CommitAsync(
            run, token => lifecycle.PauseAsync(run.RunId, run.Epoch, run.ParentCheckpointId, interrupts, token), cancellationToken);
        if (committed is null)
        {
            run.Fenced = true;
            return;
        }

        run.Ended = true;
        LogPaused(logger, run.RunId, interrupts[^1].Node, interrupts[^1].When);
        await RunTelemetry.RecordEndedAsync(runs, run.RunId, AgentRunStatus.Success);
        await events.PublishAsync(run, committed.Events, terminal: true);
    }

    /// <summary>
    /// Ends the run on a budget or loop stop, with its reason and what it had answered so far (the last ai text of the
    /// run); the status event carries both to the stream as an <c>error</c> event.
    /// </summary>
    /// <param name="state">The run's state.</param>
    /// <param name="violation">The rule that stopped it.</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>A task that completes when the end is committed.</returns>
    public Task StopOverBudgetAsync(RunState state, BudgetViolation violation, CancellationToken cancellationToken)
    {
        var partialAnswer = state.Messages.Skip(state.FirstOwnMessage).OfType<JsonObject>()
            .LastOrDefault(m => m["type"]?.GetValue<string>() == "ai" && m["content"] is JsonValue)?["content"]?.GetValue<string>();
        LogBudgetStop(logger, state.Progress.RunId, violation.Limit, violation.Message);
        return FinishAsync(state.Progress, AgentRunStatus.Error, violation.ToError(partialAnswer), cancellationToken);
    }

    /// <summary>
    /// A model or tool call kept failing transiently: parks the run (<see cref="RunLifecycle.ParkAsync"/>, the sweeper
    /// sends it when due, after <see cref="RetryBackoff"/>) or, past <see cref="AgentWorkerOptions.RunRetries"/> waits,
    /// ends it <c>error</c> with the reason.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="failure">The failure.</param>
    /// <returns>A task that completes when committed.</returns>
    public async Task ParkOrFailAsync(RunProgress run, TransientStepException failure)
    {
        var settings = options.Value;
        var inner = failure.InnerException ?? failure;
        var reason = new JsonObject
        {
            ["error"] = inner.GetType().Name,
            ["message"] = failure.Message,
            ["call"] = failure.Call,
            ["status_code"] = TransientFailures.StatusCode(inner),
        };
        if (run.RetryCount >= settings.RunRetries)
        {
            reason["message"] = $"{failure.Message} Gave up after {run.RetryCount} retry wait(s) (AgentWorker:RunRetries).";
            await FinishAsync(run, AgentRunStatus.Error, reason, CancellationToken.None);
            return;
        }

        var wait = RetryBackoff.Wait(settings, run.RetryCount, failure.RetryAfter);
        var retryAt = timeProvider.GetUtcNow() + wait;
        var committed = await CommitAsync(
            run, token => lifecycle.ParkAsync(run.RunId, run.Epoch, run.RetryCount + 1, retryAt, reason, token), CancellationToken.None);
        if (committed is null)
        {
            run.Fenced = true;
            return;
        }

        LogParked(logger, run.RunId, run.RetryCount + 1, wait.TotalSeconds, failure.Message);
        await events.PublishAsync(run, committed.Events, terminal: false);
    }

    /// <summary>Stops the run on a cancel: rollback deletes it (<see cref="RunLifecycle.RollBackAsync"/>), interrupt ends it.</summary>
    /// <param name="run">The run.</param>
    /// <param name="action">The cancel action.</param>
    /// <returns>A task that completes when committed.</returns>
    public async Task CancelAsync(RunProgress run, CancelAction action)
    {
        if (action == CancelAction.Rollback)
        {
            run.Ended = await lifecycle.RollBackAsync(run.RunId, run.Epoch, CancellationToken.None);
            LogRunEnded(logger, run.RunId, "rolled back", run.StepCount);
            return;
        }

        await FinishAsync(run, AgentRunStatus.Interrupted, error: null, CancellationToken.None);
    }

    /// <summary>Graceful shutdown: gives the lease back, puts the run back to pending and sends it to another worker.</summary>
    /// <param name="run">The run.</param>
    /// <returns>A task that completes when handed back (or left to the sweeper).</returns>
    public async Task HandBackAsync(RunProgress run)
    {
        bool released;
        try
        {
            using var timeout = new CancellationTokenSource(RunEventPublisher.PublishTimeout, timeProvider);
            released = await lifecycle.ReleaseLeaseAsync(run.RunId, run.Epoch, timeout.Token);
        }
        catch (Exception ex) when (TransientFailures.IsTransient(ex) || ex is OperationCanceledException)
        {
            // The lease lapses on its own; the sweeper resumes the run then.
            LogAbandoned(logger, ex, run.RunId);
            return;
        }

        if (released)
        {
            await dispatcher.TryDispatchAsync(run.RunId, run.ThreadId, run.Queue, DeterministicGuid.Create($"{run.RunId}:handoff:{run.Epoch}"), CancellationToken.None);
            LogHandedBack(logger, run.RunId, run.NextStep);
        }
    }

    /// <summary>Sends the thread's next queued run (multitask enqueue), now that this one has ended.</summary>
    /// <param name="run">The run that ended.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>A task that completes when sent.</returns>
    public async Task StartNextQueuedRunAsync(RunProgress run, CancellationToken cancellationToken)
    {
        if (await lifecycle.FindNextPendingRunAsync(run.TenantId, run.ThreadId, cancellationToken) is { } next)
        {
            await dispatcher.TryDispatchAsync(next.RunId, run.ThreadId, next.Queue, messageId: null, cancellationToken);
        }
    }

    private async Task<CommittedStep?> CommitAsync(
        RunProgress run, Func<CancellationToken, Task<CommittedStep?>> commit, CancellationToken cancellationToken)
    {
        var committed = await retries.CommitAsync(
            commit, token => lifecycle.FindCommittedAsync(run.RunId, run.Epoch, run.LastSequence, token), cancellationToken);
        if (committed is not null && committed.Events.Count > 0)
        {
            run.LastSequence = committed.Events[^1].Sequence;
        }

        return committed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} committed step {Step} ({Node})")]
    private static partial void LogStepCommitted(ILogger logger, Guid runId, int step, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} ended {Status} after {StepCount} steps")]
    private static partial void LogRunEnded(ILogger logger, Guid runId, string status, int stepCount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} paused on an interrupt {When} node {Node}; the thread is interrupted")]
    private static partial void LogPaused(ILogger logger, Guid runId, string node, string when);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} stopped by {Limit}: {Reason}")]
    private static partial void LogBudgetStop(ILogger logger, Guid runId, string limit, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} parked for retry {Retry} in {WaitSeconds} s: {Reason}")]
    private static partial void LogParked(ILogger logger, Guid runId, int retry, double waitSeconds, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} handed back at step {Step}: this worker is stopping")]
    private static partial void LogHandedBack(ILogger logger, Guid runId, int step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} abandoned: infrastructure failure; it resumes once its lease lapses")]
    private static partial void LogAbandoned(ILogger logger, Exception exception, Guid runId);
}
