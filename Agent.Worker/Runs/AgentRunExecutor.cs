using Agent.Worker.Models.Resilience;
using Agent.Contracts.Runs;
using Agent.Persistence.Identifiers;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Agent.Worker.Options;
using Agent.Worker.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// Executes a run durably: claims its lease (<see cref="RunLifecycle.ClaimAsync"/>), keeps it alive
/// (<see cref="LeaseHeartbeat"/>), runs the step loop (<see cref="RunStepLoop"/>: load, next node, commit, repeat), and
/// turns how the loop stopped into the run's next state (<see cref="RunCommitter"/>). See ARCHITECTURE.md, "The run,
/// step by step".
/// </summary>
internal sealed partial class AgentRunExecutor(
    RunLifecycle lifecycle,
    RunStepLoop steps,
    RunCommitter commits,
    RunDispatcher dispatcher,
    RunningRuns runningRuns,
    Webhooks.WebhookDispatcher webhooks,
    IServiceScopeFactory scopes,
    IOptions<AgentWorkerOptions> options,
    WorkerDrain drain,
    TimeProvider timeProvider,
    ILogger<AgentRunExecutor> logger)
{
    /// <summary>
    /// Executes (or resumes) a run until it ends, is cancelled, waits out a transient failure (parked), is handed
    /// back because this worker is stopping, or this worker loses its lease.
    /// </summary>
    /// <param name="message">The command.</param>
    /// <param name="redelivered">Whether the broker redelivered the command (its previous consumer died).</param>
    /// <param name="stoppingToken">Cancelled when the worker must stop at once (MassTransit's stop timeout).</param>
    /// <returns>A task that completes when the run no longer needs this worker.</returns>
    public async Task ExecuteAsync(StartAgentRun message, bool redelivered, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (drain.IsDraining)
        {
            // Stopping: take no new work. The message is acked, so send the run back for another worker.
            await dispatcher.TryDispatchAsync(message.RunId, message.ThreadId, message.Queue, DeterministicGuid.Create($"{message.RunId}:draining"), CancellationToken.None);
            return;
        }

        RunClaim claim;
        try
        {
            claim = await lifecycle.ClaimAsync(message.RunId, settings.InstanceId, settings.LeaseDuration, redelivered, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && TransientFailures.IsTransient(ex))
        {
            // PostgreSQL unreachable: ack rather than fault the message into the error queue; the run is still
            // pending or leased in the database, and the sweeper sends it again once the database is back.
            LogAbandoned(logger, ex, message.RunId);
            return;
        }

        if (claim.Outcome != RunClaimOutcome.Claimed)
        {
            // Not ours to run: a duplicate, a finished or deleted run, one queued behind its thread's current run
            // (which starts it when it ends), or one waiting out a retry (the sweeper sends it when due). Acking is
            // right in every case: the row is the source of truth.
            LogNotClaimed(logger, message.RunId, claim.Outcome);
            return;
        }

        using var scope = logger.BeginScope(new Dictionary<string, object> { ["run_id"] = message.RunId, ["thread_id"] = message.ThreadId });
        LogClaimed(logger, message.RunId, claim.Epoch, claim.Attempt);
        RunTelemetry.RecordClaim(claim.Attempt, redelivered);
        var run = new RunProgress(message.RunId, claim.TenantId, message.ThreadId, claim.Epoch) { Queue = message.Queue };
        // The store port (IAgentStore) acts for the run's tenant in every node and tool of the run.
        using var tenant = Store.RunTenantScope.Enter(claim.TenantId);
        using var cancellation = new RunCancellation(stoppingToken, drain.Abandoning);
        using (runningRuns.Register(message.RunId, cancellation.Source))
        await using (LeaseHeartbeat.Start(scopes, message.RunId, claim.Epoch, settings, timeProvider, cancellation.LoseLease, logger))
        {
            try
            {
                await RunStepsAsync(run, cancellation, stoppingToken);
            }
            finally
            {
                // Step events still being published (in the background) go out before the message is acknowledged.
                await commits.PublishedAsync();
            }
        }

        if (run.HandBack)
        {
            await commits.HandBackAsync(run);
        }
        else if (run.Ended)
        {
            webhooks.Enqueue(message.RunId);
            await commits.StartNextQueuedRunAsync(run, CancellationToken.None);
        }
    }

    // Runs the loop and turns how it stopped into the run's next state.
    private async Task RunStepsAsync(RunProgress run, RunCancellation cancellation, CancellationToken stoppingToken)
    {
        try
        {
            await steps.RunAsync(run, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.LeaseLost || run.Fenced)
        {
            LogFenced(logger, run.RunId, run.Epoch);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested || drain.Abandoning.IsCancellationRequested)
        {
            // Shutting down and the step did not finish within the grace period: abandon it (it runs again).
            run.HandBack = true;
        }
        catch (OperationCanceledException) when (runningRuns.CancelAction(run.RunId) is { } action)
        {
            await commits.CancelAsync(run, WireName.TryParse<CancelAction>(action, out var parsed) ? parsed : CancelAction.Interrupt);
        }
        catch (OperationCanceledException) when (cancellation.DeadlinePassed)
        {
            await commits.FinishAsync(run, AgentRunStatus.Timeout, RunErrors.Timeout(cancellation.TimeLimitSeconds), CancellationToken.None);
        }
        catch (TransientStepException ex)
        {
            await commits.ParkOrFailAsync(run, ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && TransientFailures.IsTransient(ex))
        {
            // PostgreSQL or RabbitMQ failed under the executor itself (not a model or tool call). Nothing can be
            // recorded now; the lease lapses and the sweeper (or the broker's redelivery) resumes the run from its
            // last committed step once the infrastructure is back.
            LogAbandoned(logger, ex, run.RunId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogRunFailed(logger, ex, run.RunId);
            var error = new System.Text.Json.Nodes.JsonObject { ["error"] = ex.GetType().Name, ["message"] = ex.Message };
            await commits.FinishAsync(run, AgentRunStatus.Error, error, CancellationToken.None);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} not claimed: {Outcome}")]
    private static partial void LogNotClaimed(ILogger logger, Guid runId, RunClaimOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} claimed with epoch {Epoch}, attempt {Attempt}")]
    private static partial void LogClaimed(ILogger logger, Guid runId, long epoch, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} stopped: fenced off at epoch {Epoch}")]
    private static partial void LogFenced(ILogger logger, Guid runId, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} abandoned: infrastructure failure; it resumes once its lease lapses")]
    private static partial void LogAbandoned(ILogger logger, Exception exception, Guid runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} failed")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, Guid runId);
}
