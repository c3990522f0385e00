using Agent.Contracts.Runs;
using Agent.Persistence.Crons;
using Agent.Worker.Runs;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Crons;

/// <summary>
/// Fires cron jobs: every <see cref="AgentWorkerOptions.SchedulerIntervalMs"/> it fires the enabled crons whose
/// <see cref="Cron.NextRunDate"/> has passed (<see cref="CronFirer"/>: each tick exactly once across all workers) and
/// sends their runs. It also deletes the threads of finished stateless runs with <c>on_completion</c> /
/// <c>on_run_completed</c> <c>delete</c> once <see cref="AgentWorkerOptions.StatelessThreadRetentionSeconds"/> have
/// passed (joins and webhooks read them first).
/// </summary>
internal sealed partial class CronScheduler(
    IServiceScopeFactory scopes, IOptions<AgentWorkerOptions> options, TimeProvider timeProvider, ILogger<CronScheduler> logger)
    : BackgroundService
{
    /// <summary>The most crons fired per tick. Default is 50.</summary>
    public const int BatchSize = 50;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.SchedulerIntervalMs), timeProvider);
        while (await WaitAsync(timer, stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var firer = scope.ServiceProvider.GetRequiredService<CronFirer>();
                var now = timeProvider.GetUtcNow();
                foreach (var cron in await firer.FindDueAsync(BatchSize, stoppingToken))
                {
                    var run = await firer.FireAsync(cron, stoppingToken);
                    if (run is not null)
                    {
                        var endpoint = await scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>()
                            .GetSendEndpoint(new Uri("queue:" + options.Value.RunQueue));
                        await endpoint.Send(new StartAgentRun { RunId = run.RunId, ThreadId = run.ThreadId, RequestedAt = now }, stoppingToken);
                        LogFired(logger, cron.CronId, run.RunId);
                    }
                }

                await firer.DeleteFinishedStatelessThreadsAsync(
                    TimeSpan.FromSeconds(options.Value.StatelessThreadRetentionSeconds), BatchSize, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A fired run whose send failed stays pending; the sweeper republishes it.
                LogFailed(logger, ex);
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron {CronId} fired run {RunId}")]
    private static partial void LogFired(ILogger logger, Guid cronId, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Firing due crons failed; retrying next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
