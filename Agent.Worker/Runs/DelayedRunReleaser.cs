using Agent.Contracts.Runs;
using Agent.Persistence.Runs;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// Starts delayed runs (<c>after_seconds</c>) when they fall due: every <see cref="AgentWorkerOptions.SchedulerIntervalMs"/>
/// it releases due runs (each by exactly one replica, <see cref="DelayedRunStore"/>) and sends their
/// <see cref="StartAgentRun"/>. RabbitMQ here has no delayed-message plugin, so the delay lives in PostgreSQL.
/// </summary>
internal sealed partial class DelayedRunReleaser(
    IServiceScopeFactory scopes, IOptions<AgentWorkerOptions> options, TimeProvider timeProvider, ILogger<DelayedRunReleaser> logger)
    : BackgroundService
{
    /// <summary>The most runs released per tick. Default is 100.</summary>
    public const int BatchSize = 100;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.SchedulerIntervalMs), timeProvider);
        while (await WaitAsync(timer, stoppingToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var due = await scope.ServiceProvider.GetRequiredService<DelayedRunStore>().ReleaseDueAsync(BatchSize, stoppingToken);
                if (due.Count == 0)
                {
                    continue;
                }

                var sendEndpoints = scope.ServiceProvider.GetRequiredService<ISendEndpointProvider>();
                var endpoint = await sendEndpoints.GetSendEndpoint(new Uri("queue:" + options.Value.RunQueue));
                foreach (var run in due)
                {
                    await endpoint.Send(
                        new StartAgentRun { RunId = run.RunId, ThreadId = run.ThreadId, RequestedAt = timeProvider.GetUtcNow() }, stoppingToken);
                    LogReleased(logger, run.RunId);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A released run whose send failed stays pending; the sweeper republishes it.
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Delayed run {RunId} is due and was sent")]
    private static partial void LogReleased(ILogger logger, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing due delayed runs failed; retrying next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
