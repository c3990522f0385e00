using Agent.Persistence.Runs;
using Agent.Worker.Polling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// Starts delayed runs (<c>after_seconds</c>) when they fall due: every <see cref="AgentWorkerOptions.SchedulerIntervalMs"/>
/// it releases due runs (each by exactly one replica, <see cref="RunLifecycle.ReleaseDelayedAsync"/>) and dispatches
/// them. RabbitMQ here has no delayed-message plugin, so the delay lives in PostgreSQL.
/// </summary>
internal sealed partial class DelayedRunReleaser(
    IServiceScopeFactory scopes, RunDispatcher dispatcher, IOptions<AgentWorkerOptions> options, TimeProvider timeProvider,
    ILogger<DelayedRunReleaser> logger)
    : PollingService(scopes, timeProvider, logger)
{
    /// <summary>The most runs released per tick. Default is 100.</summary>
    public const int BatchSize = 100;

    /// <inheritdoc />
    protected override TimeSpan Period => TimeSpan.FromMilliseconds(options.Value.SchedulerIntervalMs);

    /// <inheritdoc />
    protected override async Task PollAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        // A released run whose send fails stays pending; the sweeper sends it.
        var due = await services.GetRequiredService<RunLifecycle>().ReleaseDelayedAsync(BatchSize, cancellationToken);
        await dispatcher.DispatchAsync(due, cancellationToken);
        foreach (var run in due)
        {
            LogReleased(logger, run.RunId);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Delayed run {RunId} is due and was sent")]
    private static partial void LogReleased(ILogger logger, Guid runId);
}
