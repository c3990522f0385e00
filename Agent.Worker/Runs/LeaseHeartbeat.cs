using Agent.Persistence.Runs;
using Agent.Worker.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Runs;

/// <summary>
/// Renews a run's lease on a timer while its step runs (a model call can take minutes), and reports when the
/// lease was lost to another worker so the run stops at once.
/// </summary>
internal sealed partial class LeaseHeartbeat : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    private LeaseHeartbeat(
        IServiceScopeFactory scopes, Guid runId, long epoch, AgentWorkerOptions options, TimeProvider timeProvider,
        Action onLeaseLost, ILogger logger)
    {
        loop = RenewAsync(scopes, runId, epoch, options, timeProvider, onLeaseLost, logger, stop.Token);
    }

    /// <summary>Starts renewing every <see cref="AgentWorkerOptions.HeartbeatInterval"/>.</summary>
    /// <param name="scopes">Creates a scope (its own database context) per renewal; the run's context is busy with the step.</param>
    /// <param name="runId">The run.</param>
    /// <param name="epoch">The epoch claimed.</param>
    /// <param name="options">Lease settings.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="onLeaseLost">Called once when a renewal finds the run fenced off.</param>
    /// <param name="logger">The logger.</param>
    /// <returns>The running heartbeat; dispose it to stop.</returns>
    public static LeaseHeartbeat Start(
        IServiceScopeFactory scopes, Guid runId, long epoch, AgentWorkerOptions options, TimeProvider timeProvider,
        Action onLeaseLost, ILogger logger) =>
        new(scopes, runId, epoch, options, timeProvider, onLeaseLost, logger);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
#pragma warning disable VSTHRD003 // The loop was started by this object's constructor; awaiting it here is its join.
            await loop;
#pragma warning restore VSTHRD003
        }
        catch (OperationCanceledException)
        {
            // Stopping is the expected way out of the loop.
        }

        stop.Dispose();
    }

    private static async Task RenewAsync(
        IServiceScopeFactory scopes, Guid runId, long epoch, AgentWorkerOptions options, TimeProvider timeProvider,
        Action onLeaseLost, ILogger logger, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval, timeProvider);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var store = scope.ServiceProvider.GetRequiredService<RunLifecycle>();
                if (!await store.RenewLeaseAsync(runId, epoch, options.LeaseDuration, cancellationToken))
                {
                    LogLeaseLost(logger, runId, epoch);
                    onLeaseLost();
                    return;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A failed renewal is retried at the next tick; the lease lasts three intervals.
                LogRenewalFailed(logger, ex, runId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease of run {RunId} (epoch {Epoch}) was lost to another worker; stopping")]
    private static partial void LogLeaseLost(ILogger logger, Guid runId, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease renewal of run {RunId} failed; retrying at the next tick")]
    private static partial void LogRenewalFailed(ILogger logger, Exception exception, Guid runId);
}
