using System.Text.Json.Nodes;
using Agent.Persistence.Runs;

namespace Agent.Api.Streaming;

/// <summary>
/// The thread-level join stream, <c>GET /threads/{thread_id}/stream</c> (the Agent Server's "Join Thread Stream", the
/// SDK's <c>threads.joinStream</c>): the events of each run on the thread, one run after the other, from the runs that
/// were unfinished when the client joined on; the stream stays open until the client closes it.
/// </summary>
/// <remarks>
/// Each run is relayed as a run stream is (<see cref="RunStreamRelay"/>): its <c>metadata</c> event first, then its
/// events in the modes it was created with (stream mode <c>run_modes</c>, the only one served), with the run's own event
/// ids. Between runs the stream polls for the next one every <see cref="PollInterval"/> and sends a heartbeat comment
/// every <see cref="RunStreamRelay.HeartbeatInterval"/>. A reconnect starts again at the thread's unfinished runs.
/// </remarks>
/// <param name="runs">Finds the runs to follow.</param>
/// <param name="relay">Relays one run.</param>
/// <param name="timeProvider">The clock.</param>
internal sealed class ThreadStreamRelay(RunQueries runs, RunStreamRelay relay, TimeProvider timeProvider)
{
    /// <summary>How often an idle thread stream looks for the thread's next run: 1 s.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Streams the thread's runs until the client goes away.</summary>
    /// <param name="response">The response.</param>
    /// <param name="threadId">The thread, found through the request's tenant-scoped context.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    /// <returns>A task that completes when the client has gone.</returns>
    public async Task StreamAsync(HttpResponse response, Guid threadId, CancellationToken cancellationToken)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(cancellationToken);
        var writer = new SseWriter(response.Body);
        var since = timeProvider.GetUtcNow();
        var followed = new List<Guid>();
        var quietSince = timeProvider.GetTimestamp();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (await runs.NextToFollowAsync(threadId, since, followed, cancellationToken) is not { } run)
                {
                    if (timeProvider.GetElapsedTime(quietSince) >= RunStreamRelay.HeartbeatInterval)
                    {
                        await writer.WriteCommentAsync("heartbeat", cancellationToken);
                        quietSince = timeProvider.GetTimestamp();
                    }

                    await Task.Delay(PollInterval, timeProvider, cancellationToken);
                    continue;
                }

                followed.Add(run.RunId);
                var (modes, _) = StreamModes.Parse(JsonNode.Parse(run.Kwargs)?["stream_mode"]);
                if (!await relay.StreamAsync(response, run, RunStreamRelay.StreamPosition.Start, modes, cancellationToken, RunStreamRelay.StreamsSubgraphs(run)))
                {
                    return;
                }

                quietSince = timeProvider.GetTimestamp();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client closed the stream: the normal end of a thread stream.
        }
        catch (IOException)
        {
            // The client closed the connection mid-write.
        }
    }
}
