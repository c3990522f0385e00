using Agent.Contracts.Runs;
using Agent.Persistence.Runs;

namespace Agent.Api.Runs;

/// <summary>
/// Cancels runs through <see cref="RunLifecycle.CancelAsync"/>: a pending run is ended (<c>interrupt</c>) or deleted
/// (<c>rollback</c>) and never starts; a running run gets its cancel action recorded and a <see cref="CancelAgentRun"/>
/// fanned out to the workers (<see cref="RunDispatcher.FanOutCancelAsync"/>), and the owner stops at its next await.
/// </summary>
internal sealed class RunCanceller(RunLifecycle lifecycle, RunDispatcher dispatcher)
{
    /// <summary>Requests the cancellation of a run.</summary>
    /// <param name="run">The run (not terminal).</param>
    /// <param name="action">Whether completed steps are kept (<see cref="CancelAction.Interrupt"/>) or the run is deleted.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the cancellation is recorded (not when the run has stopped).</returns>
    public async Task CancelAsync(AgentRun run, CancelAction action, CancellationToken cancellationToken)
    {
        if (await lifecycle.CancelAsync(run, action, cancellationToken) == RunCancelOutcome.Requested)
        {
            await dispatcher.FanOutCancelAsync(run.RunId, action, cancellationToken);
        }
    }
}
