using Agent.Persistence.Runs;
using Agent.Worker.Crons;
using Agent.Worker.Options;
using Agent.Worker.Polling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Scheduling;

/// <summary>
/// Starts the runs that time starts, every <see cref="AgentWorkerOptions.SchedulerIntervalMs"/>: it releases the
/// delayed runs (<c>after_seconds</c>) that fell due (each by exactly one replica,
/// <see cref="RunLifecycle.ReleaseDelayedAsync"/>; RabbitMQ here has no delayed-message plugin, so the delay lives in
/// PostgreSQL), fires the enabled crons whose <c>next_run_date</c> has passed
/// (<see cref="CronFirer"/>: each tick exactly once across all workers), and dispatches both. Last it deletes the
/// threads of finished stateless runs with <c>on_completion</c> / <c>on_run_completed</c> <c>delete</c> once
/// <see cref="AgentWorkerOptions.StatelessThreadRetentionSeconds"/> have passed (joins and webhooks read them first).
/// </summary>
/// <remarks>
/// A run released or fired here whose send fails stays pending, and the sweeper sends it. Delayed runs go first, so a
/// failing cron (logged by <see cref="PollingService"/>) never holds them back.
/// </remarks>
internal sealed partial class RunScheduler(
    IServiceScopeFactory scopes, RunDispatcher dispatcher, IOptions<AgentWorkerOptions> options, TimeProvider timeProvider,
    ILogger<RunScheduler> logger)
    : PollingService(scopes, timeProvider, logger)
{
    /// <summary>The most delayed runs released per tick. Default is 100.</summary>
    public const int DelayedBatchSize = 100;

    /// <summary>The most crons fired, and the most ended stateless threads and expired (ttl) threads deleted, per tick. Default is 50.</summary>
    public const int CronBatchSize = 50;

    /// <inheritdoc />
    protected override TimeSpan Period => TimeSpan.FromMilliseconds(options.Value.SchedulerIntervalMs);

    /// <inheritdoc />
    protected override async Task PollAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var lifecycle = services.GetRequiredService<RunLifecycle>();
        await ReleaseDelayedAsync(lifecycle, cancellationToken);
        await FireCronsAsync(services.GetRequiredService<CronFirer>(), cancellationToken);
        await lifecycle.DeleteEndedStatelessThreadsAsync(
            TimeSpan.FromSeconds(options.Value.StatelessThreadRetentionSeconds), CronBatchSize, cancellationToken);
        await lifecycle.DeleteExpiredThreadsAsync(CronBatchSize, cancellationToken);
    }

    private async Task ReleaseDelayedAsync(RunLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var due = await lifecycle.ReleaseDelayedAsync(DelayedBatchSize, cancellationToken);
        await dispatcher.DispatchAsync(due, cancellationToken);
        foreach (var run in due)
        {
            LogReleased(logger, run.RunId);
        }
    }

    private async Task FireCronsAsync(CronFirer firer, CancellationToken cancellationToken)
    {
        foreach (var cron in await firer.FindDueAsync(CronBatchSize, cancellationToken))
        {
            if (await firer.FireTickAsync(cron, cancellationToken) is { Outcome: RunAcceptanceOutcome.Accepted, Run: { } run } accepted)
            {
                foreach (var stopping in accepted.CancelRequested ?? [])
                {
                    await dispatcher.FanOutCancelAsync(stopping.RunId, accepted.CancelAction ?? CancelAction.Interrupt, cancellationToken);
                }

                await dispatcher.TryDispatchAsync(run.RunId, run.ThreadId, run.Queue, messageId: null, cancellationToken);
                LogFired(logger, cron.CronId, run.RunId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Delayed run {RunId} is due and was sent")]
    private static partial void LogReleased(ILogger logger, Guid runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron {CronId} fired run {RunId}")]
    private static partial void LogFired(ILogger logger, Guid cronId, Guid runId);
}
