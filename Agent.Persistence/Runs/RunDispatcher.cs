using Agent.Contracts.Runs;
using Agent.Persistence.Wire;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Agent.Persistence.Runs;

/// <summary>
/// The one sender of <see cref="StartAgentRun"/> (to the run queue) and <see cref="CancelAgentRun"/> (fanned out to
/// every worker), for the API, the run scheduler (delayed runs and crons), the sweeper and the executor. Sending
/// always follows a committed state change of <see cref="RunLifecycle"/>: the runs table is the outbox, so a lost send
/// delays a run (the sweeper sends it again) but never loses it.
/// </summary>
/// <param name="bus">The bus.</param>
/// <param name="runQueue">
/// The run queue's name (<c>Messaging:RunQueue</c>, default <c>agent-runs</c>); a run with a named queue goes to
/// <see cref="RunQueueName.Address"/>.
/// </param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
public sealed partial class RunDispatcher(IBus bus, string runQueue, TimeProvider timeProvider, ILogger<RunDispatcher> logger)
{
    /// <summary>How long one best-effort send may take before the dispatcher gives it up to the sweeper. 10 s.</summary>
    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Sends a run's <see cref="StartAgentRun"/>, best effort: a failure (broker down, <see cref="SendTimeout"/>) is
    /// logged and swallowed, since the run is committed and the sweeper sends it later.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="threadId">Its thread.</param>
    /// <param name="queue">Its queue (<see cref="AgentRun.Queue"/>), or null for the default one.</param>
    /// <param name="messageId">A deterministic message id (a repeat of one dispatch), or null for a fresh one.</param>
    /// <param name="cancellationToken">Cancels the send; only this cancellation is thrown.</param>
    /// <returns><see langword="true"/> when the broker took the message.</returns>
    public async Task<bool> TryDispatchAsync(Guid runId, Guid threadId, string? queue, Guid? messageId, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(SendTimeout);
            await SendAsync(runId, threadId, queue, messageId, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            LogSendFailed(logger, ex, runId);
            return false;
        }
    }

    /// <summary>Sends the <see cref="StartAgentRun"/> of each run with its <see cref="DueRun.MessageId"/>; throws on failure.</summary>
    /// <param name="runs">The runs.</param>
    /// <param name="cancellationToken">Cancels the sends.</param>
    /// <returns>A task that completes when the broker has taken every message.</returns>
    public async Task DispatchAsync(IReadOnlyList<DueRun> runs, CancellationToken cancellationToken)
    {
        foreach (var run in runs)
        {
            await SendAsync(run.RunId, run.ThreadId, run.Queue, run.MessageId, cancellationToken);
        }
    }

    /// <summary>
    /// Fans a <see cref="CancelAgentRun"/> out to the workers, best effort: the cancel is already recorded on the run
    /// (<see cref="RunLifecycle.CancelAsync"/>), and its worker reads it at its next commit if this message is lost.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="action">The cancel action.</param>
    /// <param name="cancellationToken">Cancels the publish.</param>
    /// <returns>A task that completes when published (or given up).</returns>
    public async Task FanOutCancelAsync(Guid runId, CancelAction action, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(SendTimeout);
            await bus.Publish(
                new CancelAgentRun { RunId = runId, Action = WireName.Of(action), RequestedAt = timeProvider.GetUtcNow() }, timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            LogCancelFailed(logger, ex, runId);
        }
    }

    private async Task SendAsync(Guid runId, Guid threadId, string? queue, Guid? messageId, CancellationToken cancellationToken)
    {
        var endpoint = await bus.GetSendEndpoint(new Uri("queue:" + RunQueueName.Address(runQueue, queue)));
        var message = new StartAgentRun { RunId = runId, ThreadId = threadId, Queue = queue, RequestedAt = timeProvider.GetUtcNow() };
        if (messageId is { } id)
        {
            await endpoint.Send(message, context => context.MessageId = id, cancellationToken);
        }
        else
        {
            await endpoint.Send(message, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} is committed but StartAgentRun could not be sent; the sweeper will send it")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "CancelAgentRun for run {RunId} could not be published; its worker reads the cancel at its next commit")]
    private static partial void LogCancelFailed(ILogger logger, Exception exception, Guid runId);
}
