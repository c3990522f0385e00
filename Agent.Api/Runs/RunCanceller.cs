using Agent.Contracts.Runs;
using Agent.Persistence;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Agent.Api.Runs;

/// <summary>
/// Cancels runs. A pending run is ended (<c>interrupt</c>) or deleted (<c>rollback</c>) here and never starts; a
/// running run gets its cancel action recorded and a <see cref="CancelAgentRun"/> fanned out to the workers, and
/// the owner stops at its next await.
/// </summary>
internal sealed class RunCanceller(AgentDbContext db, IPublishEndpoint publisher, TimeProvider timeProvider)
{
    /// <summary>Requests the cancellation of a run.</summary>
    /// <param name="run">The run (not terminal).</param>
    /// <param name="action">Whether completed steps are kept (<see cref="CancelAction.Interrupt"/>) or the run is deleted.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the cancellation is recorded (not when the run has stopped).</returns>
    public async Task CancelAsync(AgentRun run, CancelAction action, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var pendingHandled = action == CancelAction.Rollback
            ? await db.Runs.Where(r => r.RunId == run.RunId && r.Status == AgentRunStatus.Pending).ExecuteDeleteAsync(cancellationToken)
            : await db.Runs.Where(r => r.RunId == run.RunId && r.Status == AgentRunStatus.Pending).ExecuteUpdateAsync(
                s => s.SetProperty(r => r.Status, AgentRunStatus.Interrupted).SetProperty(r => r.EndedAt, now).SetProperty(r => r.UpdatedAt, now),
                cancellationToken);
        if (pendingHandled == 1)
        {
            var busy = await db.Runs.AnyAsync(
                r => r.ThreadId == run.ThreadId && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running),
                cancellationToken);
            if (!busy)
            {
                await db.Threads.Where(t => t.ThreadId == run.ThreadId)
                    .ExecuteUpdateAsync(s => s.SetProperty(t => t.Status, AgentThreadStatus.Idle), cancellationToken);
            }

            return;
        }

        var wireAction = WireName.Of(action);
        await db.Runs.Where(r => r.RunId == run.RunId && r.Status == AgentRunStatus.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.CancelAction, wireAction), cancellationToken);
        await publisher.Publish(new CancelAgentRun { RunId = run.RunId, Action = wireAction, RequestedAt = now }, cancellationToken);
    }
}
