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
/// <param name="publisher">The publish endpoint.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class RunEventPublisher(IPublishEndpoint publisher, TimeProvider timeProvider, ILogger<RunEventPublisher> logger)
{
    /// <summary>How long publishing a step's live events may take before the executor moves on. 5 s.</summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Publishes committed events; never throws.</summary>
    /// <param name="run">The run.</param>
    /// <param name="events">The committed events, in sequence order.</param>
    /// <param name="terminal">Whether they end the run.</param>
    /// <returns>A task that completes when published (or given up).</returns>
    public async Task PublishAsync(RunProgress run, IReadOnlyList<RunEvent> events, bool terminal)
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
