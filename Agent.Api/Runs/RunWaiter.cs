using Agent.Api.Streaming;
using Agent.Persistence;
using Agent.Persistence.Runs;
using Microsoft.EntityFrameworkCore;

namespace Agent.Api.Runs;

/// <summary>
/// Waits for a run to end, woken by its live events and re-checking PostgreSQL every heartbeat interval.
/// </summary>
internal sealed class RunWaiter(AgentDbContext db, RunEventBroker broker)
{
    /// <summary>Waits until the run is terminal or deleted.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="onQuietInterval">Called after each quiet heartbeat interval (e.g. to write a keep-alive).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The run as it ended, or null when it was deleted (rollback).</returns>
    public async Task<AgentRun?> WaitAsync(Guid runId, Func<Task>? onQuietInterval, CancellationToken cancellationToken)
    {
        using var subscription = broker.Subscribe(runId);
        while (true)
        {
            var run = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.RunId == runId, cancellationToken);
            if (run is null || AgentRunStatus.IsTerminal(run.Status))
            {
                return run;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(RunStreamRelay.HeartbeatInterval);
            try
            {
                while (!(await subscription.Channel.Reader.WaitToReadAsync(wait.Token) && TryDrainTerminal(subscription)))
                {
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                if (onQuietInterval is not null)
                {
                    await onQuietInterval();
                }
            }
        }
    }

    private static bool TryDrainTerminal(RunEventBroker.Subscription subscription)
    {
        var terminal = false;
        while (subscription.Channel.Reader.TryRead(out var e))
        {
            terminal |= e.IsTerminal;
        }

        return terminal;
    }
}
