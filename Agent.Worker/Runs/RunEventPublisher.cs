using Agent.Contracts.Runs;
using Agent.Persistence.RunEvents;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Runs;

/// <summary>
/// Publishes a committed step's events (<see cref="AgentRunEventRecorded"/>) for live streaming. Publishing happens
/// after the commit and is best effort: a lost publish is repaired by the API's relay reading <c>run_events</c>, so a
/// broker outage must not hold the run up.
/// </summary>
/// <remarks>
/// A step's events are published in the background (<see cref="Enqueue"/>), so the broker's confirm is off the step's
/// critical path: the events are already durable in <c>run_events</c>, and the relay (Agent.Api
/// <c>RunStreamRelay</c>) fills any gap from there: an event that arrives after its successor, a token delta that
/// arrives before the step it follows, or none at all (it re-reads the log every 5 s when quiet). Publishes of one
/// run still go out in commit order, one after another. An end (<see cref="PublishAsync"/>) waits for those in flight
/// first, so the terminal event is the run's last; the executor waits for them all (<see cref="DrainAsync"/>) before
/// the message is acknowledged. Registered per scope: one instance per run.
/// </remarks>
/// <param name="publisher">The publish endpoint.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class RunEventPublisher(IPublishEndpoint publisher, TimeProvider timeProvider, ILogger<RunEventPublisher> logger)
{
    private Task inFlight = Task.CompletedTask;

    /// <summary>How long publishing a step's live events may take before the executor moves on. 5 s.</summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Publishes a step's committed events in the background, after those already queued; never throws.</summary>
    /// <param name="run">The run.</param>
    /// <param name="events">The committed events, in sequence order.</param>
    public void Enqueue(RunProgress run, IReadOnlyList<RunEvent> events) => inFlight = PublishAfterAsync(inFlight, run, events);

    /// <summary>Waits until every queued publish is done (or given up); never throws.</summary>
    /// <returns>A task that completes when nothing is in flight.</returns>
#pragma warning disable VSTHRD003 // The chain was started by this instance (Enqueue); returning it is its join.
    public Task DrainAsync() => inFlight;
#pragma warning restore VSTHRD003

    /// <summary>Publishes committed events once the queued ones are done; never throws.</summary>
    /// <param name="run">The run.</param>
    /// <param name="events">The committed events, in sequence order.</param>
    /// <param name="terminal">Whether they end the run.</param>
    /// <returns>A task that completes when published (or given up).</returns>
    public async Task PublishAsync(RunProgress run, IReadOnlyList<RunEvent> events, bool terminal)
    {
        await DrainAsync();
        await PublishNowAsync(run, events, terminal);
    }

    private async Task PublishAfterAsync(Task previous, RunProgress run, IReadOnlyList<RunEvent> events)
    {
        // The previous publish never throws: it logs its failure.
#pragma warning disable VSTHRD003 // The previous link of this instance's own chain (Enqueue): awaiting it keeps the order.
        await previous;
#pragma warning restore VSTHRD003
        await PublishNowAsync(run, events, terminal: false);
    }

    private async Task PublishNowAsync(RunProgress run, IReadOnlyList<RunEvent> events, bool terminal)
    {
        using var timeout = new CancellationTokenSource(PublishTimeout, timeProvider);
        try
        {
            foreach (var e in events)
            {
                await publisher.Publish(
                    new AgentRunEventRecorded
                    {
                        RunId = run.RunId,
                        ThreadId = run.ThreadId,
                        Sequence = e.Sequence,
                        Kind = e.Kind,
                        Data = e.Data,
                        IsTerminal = terminal,
                        CreatedAt = e.CreatedAt,
                    },
                    timeout.Token);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPublishFailed(logger, ex, run.RunId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live events of run {RunId} were not published; clients catch up from the log")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, Guid runId);
}
