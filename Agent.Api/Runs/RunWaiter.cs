using Agent.Api.Streaming;
using Agent.Persistence.Runs;

namespace Agent.Api.Runs;

/// <summary>
/// Waits for a run to end, woken by its live events and re-checking PostgreSQL every heartbeat interval.
/// </summary>
internal sealed class RunWaiter(RunQueries runs, RunEventBroker broker)
{
    /// <summary>Waits until the run is terminal or deleted.</summary>
    /// <param name="run">
    /// The run, as found through the request's tenant-scoped context: taking the row, not an id, means live events
    /// are only ever followed for a run the caller was allowed to see.
    /// </param>
    /// <param name="onQuietInterval">Called after each quiet heartbeat interval (e.g. to write a keep-alive).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The run as it ended, or null when it was deleted (rollback).</returns>
    /// <exception cref="InvalidOperationException">The run belongs to another tenant than the context's (a bug).</exception>
    public async Task<AgentRun?> WaitAsync(AgentRun run, Func<Task>? onQuietInterval, CancellationToken cancellationToken)
    {
        RunStreamRelay.RequireSameTenant(runs, run);
        var runId = run.RunId;
        using var subscription = broker.Subscribe(runId);
        while (true)
        {
            var current = await runs.FindAsync(runId, threadId: null, cancellationToken);
            if (current is null || AgentRunStatus.IsTerminal(current.Status))
            {
                return current;
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
