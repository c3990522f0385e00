using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Polling;

/// <summary>
/// The one polling skeleton of the worker's background loops (the sweeper and the run scheduler): every
/// <see cref="Period"/>, in a fresh DI scope (its own database context), it calls <see cref="PollAsync"/>; a failure is logged and the next period tries again, since each poll is a transaction
/// that rolls back on failure. The loop ends when the host stops or <see cref="Stopped"/> becomes true.
/// </summary>
/// <param name="scopes">Creates a scope per poll.</param>
/// <param name="timeProvider">The clock the period is timed on.</param>
/// <param name="logger">Logs failed polls.</param>
internal abstract partial class PollingService(IServiceScopeFactory scopes, TimeProvider timeProvider, ILogger logger) : BackgroundService
{
    /// <summary>Gets the factory of the polls' scopes.</summary>
    protected IServiceScopeFactory Scopes => scopes;

    /// <summary>Gets the time between polls.</summary>
    protected abstract TimeSpan Period { get; }

    /// <summary>Gets whether the loop should end before the host stops (the worker is draining). Default is false.</summary>
    protected virtual bool Stopped => false;

    /// <summary>Polls once.</summary>
    /// <param name="services">The poll's scope.</param>
    /// <param name="cancellationToken">Cancelled when the host stops.</param>
    /// <returns>A task that completes when the poll is done.</returns>
    protected abstract Task PollAsync(IServiceProvider services, CancellationToken cancellationToken);

    /// <inheritdoc />
    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken) && !Stopped)
            {
                try
                {
                    await using var scope = Scopes.CreateAsyncScope();
                    await PollAsync(scope.ServiceProvider, stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // PostgreSQL or RabbitMQ unreachable: the poll rolled back; the next one tries again. Work that
                    // was committed but not sent (a run) is sent by the sweeper.
                    LogPollFailed(logger, ex, GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Poller} failed; retrying at the next period")]
    private static partial void LogPollFailed(ILogger logger, Exception exception, string poller);
}
