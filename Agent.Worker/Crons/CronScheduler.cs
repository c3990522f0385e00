using Agent.Persistence.Crons;
using Agent.Persistence.Runs;
using Agent.Worker.Polling;
using Agent.Worker.Runs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Crons;

/// <summary>
/// Fires cron jobs: every <see cref="AgentWorkerOptions.SchedulerIntervalMs"/> it fires the enabled crons whose
/// <see cref="Cron.NextRunDate"/> has passed (<see cref="CronFirer"/>: each tick exactly once across all workers) and
/// dispatches their runs. It also deletes the threads of finished stateless runs with <c>on_completion</c> /
/// <c>on_run_completed</c> <c>delete</c> once <see cref="AgentWorkerOptions.StatelessThreadRetentionSeconds"/> have
/// passed (joins and webhooks read them first).
/// </summary>
internal sealed partial class CronScheduler(
    IServiceScopeFactory scopes, RunDispatcher dispatcher, IOptions<AgentWorkerOptions> options, TimeProvider timeProvider,
    ILogger<CronScheduler> logger)
    : PollingService(scopes, timeProvider, logger)
{
    /// <summary>The most crons fired per tick. Default is 50.</summary>
    public const int BatchSize = 50;

    /// <inheritdoc />
    protected override TimeSpan Period => TimeSpan.FromMilliseconds(options.Value.SchedulerIntervalMs);

    /// <inheritdoc />
    protected override async Task PollAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var firer = services.GetRequiredService<CronFirer>();
        foreach (var cron in await firer.FindDueAsync(BatchSize, cancellationToken))
        {
            if (await firer.FireTickAsync(cron, cancellationToken) is { Outcome: RunAcceptanceOutcome.Accepted, Run: { } run } accepted)
            {
                foreach (var stopping in accepted.CancelRequested ?? [])
                {
                    await dispatcher.FanOutCancelAsync(stopping.RunId, accepted.CancelAction ?? CancelAction.Interrupt, cancellationToken);
                }

                // A fired run whose send fails stays pending; the sweeper sends it.
                await dispatcher.TryDispatchAsync(run.RunId, run.ThreadId, messageId: null, cancellationToken);
                LogFired(logger, cron.CronId, run.RunId);
            }
        }

        await services.GetRequiredService<RunLifecycle>().DeleteEndedStatelessThreadsAsync(
            TimeSpan.FromSeconds(options.Value.StatelessThreadRetentionSeconds), BatchSize, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron {CronId} fired run {RunId}")]
    private static partial void LogFired(ILogger logger, Guid cronId, Guid runId);
}
