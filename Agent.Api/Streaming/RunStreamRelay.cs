using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;

namespace Agent.Api.Streaming;

/// <summary>
/// Streams a run to one SSE client: replays its events from PostgreSQL after the client's <c>Last-Event-ID</c>,
/// then follows live events from the bus, filling any gap from PostgreSQL, until the run ends. Works on every API
/// replica, because the durable log and the fan-out reach them all.
/// </summary>
/// <param name="runs">Reads the run and its event log (the request's tenant scope).</param>
/// <param name="checkpoints">Reads the thread's checkpoints, for the state before the run.</param>
/// <param name="broker">This replica's live event broker.</param>
internal sealed class RunStreamRelay(RunQueries runs, CheckpointQueries checkpoints, RunEventBroker broker)
{
    /// <summary>The interval of <c>: heartbeat</c> comments, 5 s as in LangGraph Server (the JS SDK's idle watchdog expects them).</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(5);

    /// <summary>Sets the SSE response headers LangGraph clients need.</summary>
    /// <param name="response">The response.</param>
    /// <param name="run">The run streamed.</param>
    /// <param name="stateless">Whether the run was created without a thread in the path (<c>/runs/...</c>).</param>
    public static void SetStreamHeaders(HttpResponse response, AgentRun run, bool stateless)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        // The SDKs parse Content-Location to learn the run id, and reconnect with GET Location + Last-Event-ID.
        var path = RunPath(run, stateless);
        response.Headers.Location = path + "/stream";
        response.Headers.ContentLocation = path;
    }

    /// <summary>Gets a run's path: <c>/threads/{thread_id}/runs/{run_id}</c>, or <c>/runs/{run_id}</c> for a stateless call.</summary>
    /// <param name="run">The run.</param>
    /// <param name="stateless">Whether the run was created without a thread in the path.</param>
    /// <returns>The path, the value of <c>Content-Location</c>.</returns>
    public static string RunPath(AgentRun run, bool stateless) =>
        stateless ? $"/runs/{run.RunId}" : $"/threads/{run.ThreadId}/runs/{run.RunId}";

    /// <summary>
    /// Refuses to follow a run of another tenant than the context's. Callers find the run through the request's
    /// tenant-scoped context first (another tenant's id answers 404 there); <c>run_events</c> and the live fan-out are
    /// keyed by run id alone, so this guard makes a caller that skipped the lookup fail loudly instead of leaking.
    /// </summary>
    /// <param name="runs">The request's run queries (its tenant scope).</param>
    /// <param name="run">The run about to be followed.</param>
    /// <exception cref="InvalidOperationException">The run belongs to another tenant (a bug, never a client error).</exception>
    public static void RequireSameTenant(RunQueries runs, AgentRun run)
    {
        if (!runs.IsVisible(run))
        {
            throw new InvalidOperationException($"Run {run.RunId} is not visible to the request's tenant; find runs through the scoped context.");
        }
    }

    /// <summary>Tells whether a run was created with <c>stream_subgraphs: true</c> (kept in its kwargs).</summary>
    /// <param name="run">The run.</param>
    /// <returns>True when it was.</returns>
    public static bool StreamsSubgraphs(AgentRun run) =>
        JsonNode.Parse(run.Kwargs)?["stream_subgraphs"] is JsonValue value
        && value.TryGetValue<bool>(out var subgraphs) && subgraphs;

    /// <summary>Reads a <c>Last-Event-ID</c>: any id this stream sent (see <see cref="StreamEventId"/>), or <c>-1</c> for "everything".</summary>
    /// <param name="header">The header value.</param>
    /// <returns>The position, or null when the value is not one of this server's ids.</returns>
    public static StreamPosition? ParseLastEventId(string header) => StreamEventId.Parse(header);

    /// <summary>Streams the run until it ends or the client goes away.</summary>
    /// <param name="response">The response, headers already set with <see cref="SetStreamHeaders"/>.</param>
    /// <param name="run">The run, as found through the request's tenant-scoped context (see <see cref="RequireSameTenant"/>).</param>
    /// <param name="position">What the client has: the last event sequence (0 replays everything) and any partial message.</param>
    /// <param name="modes">The stream modes.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    /// <param name="subgraphs">Whether subgraph steps are streamed, as <c>mode|namespace</c> (<c>stream_subgraphs</c>); otherwise they are not shown.</param>
    /// <returns>True when the run ended while streaming; false when the client left first.</returns>
    /// <exception cref="InvalidOperationException">The run belongs to another tenant than the context's (a bug).</exception>
    public async Task<bool> StreamAsync(
        HttpResponse response, AgentRun run, StreamPosition position, IReadOnlyList<StreamMode> modes, CancellationToken cancellationToken,
        bool subgraphs = false)
    {
        RequireSameTenant(runs, run);
        using var subscription = broker.Subscribe(run.RunId);
        var writer = new SseWriter(response.Body);
        var renderer = new RunEventRenderer(modes, run.RunId, run.ThreadId, ct => LoadPriorValuesAsync(run, ct)) { Subgraphs = subgraphs };
        if (position.Characters > 0 || position.ToolCalls > 0)
        {
            renderer.ResumeAfter(position.Sequence, position.Characters, position.ToolCalls);
        }

        var lastEventId = position.Sequence;
        // Every event is rendered from the first when the state is needed (values are a fold), else from the client's.
        var fromStart = modes.Any(m => m is StreamMode.Values or StreamMode.Debug or StreamMode.Checkpoints);
        var cursor = new Cursor(lastEventId, fromStart ? 0 : lastEventId) { ClientSlot = position.Slot };

        try
        {
            // The metadata event's own id is 0, sent on a stream from the start. A reconnect gets it without an id:
            // the SSE client then keeps its Last-Event-ID, where echoing that id (or 0) would duplicate or rewind it.
            var metadata = new JsonObject { ["run_id"] = run.RunId.ToString(), ["attempt"] = Math.Max(run.Attempt, 1) };
            var fromNothing = position.Sequence == 0 && position.Slot < 0 && position.Characters == 0 && position.ToolCalls == 0;
            await writer.WriteEventAsync("metadata", metadata.ToJsonString(), fromNothing ? StreamEventId.Start : null, cancellationToken);

            var ended = await CatchUpAsync(run.RunId, cursor, renderer, writer, cancellationToken)
                        || await HasEndedAsync(run.RunId, cursor, cancellationToken);
            while (!ended)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(HeartbeatInterval);
                try
                {
                    await subscription.Channel.Reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Quiet for a heartbeat interval: keep the connection alive, and re-read the log in case the
                    // fan-out missed events (a replica restart, a broker hiccup).
                    await writer.WriteCommentAsync("heartbeat", cancellationToken);
                    ended = await CatchUpAsync(run.RunId, cursor, renderer, writer, cancellationToken)
                            || await HasEndedAsync(run.RunId, cursor, cancellationToken);
                    continue;
                }

                while (!ended && subscription.Channel.Reader.TryRead(out var live))
                {
                    ended = await OnLiveEventAsync(run.RunId, live, cursor, renderer, writer, cancellationToken);
                }
            }

            return true;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (IOException)
        {
            // The client closed the connection mid-write.
            return false;
        }
    }

    private async Task<bool> OnLiveEventAsync(
        Guid runId, LiveRunEvent message, Cursor cursor, RunEventRenderer renderer, SseWriter writer, CancellationToken cancellationToken)
    {
        if (message.Token is { } token)
        {
            if (token.AfterSequence > cursor.Rendered && await CatchUpAsync(runId, cursor, renderer, writer, cancellationToken))
            {
                return true;
            }

            // Tokens of a step already sent (or of one this client has not reached) are dropped.
            if (token.AfterSequence == cursor.Rendered && cursor.ClientHas == cursor.Rendered)
            {
                foreach (var (name, json, id) in renderer.RenderToken(token))
                {
                    await writer.WriteEventAsync(name, json, id, cancellationToken);
                }
            }

            return false;
        }

        var live = message.Recorded!;
        if (live.Sequence <= cursor.Rendered)
        {
            return false;
        }

        if (live.Sequence != cursor.Rendered + 1)
        {
            // A gap: some events reached the log but not this replica (or not yet). The log is the truth.
            return await CatchUpAsync(runId, cursor, renderer, writer, cancellationToken);
        }

        return await EmitAsync(live.Sequence, live.Kind, live.Data, live.CreatedAt, cursor, renderer, writer, cancellationToken);
    }

    private async Task<bool> CatchUpAsync(
        Guid runId, Cursor cursor, RunEventRenderer renderer, SseWriter writer, CancellationToken cancellationToken)
    {
        var events = await runs.EventsAfterAsync(runId, cursor.Rendered, cancellationToken);
        foreach (var e in events)
        {
            if (await EmitAsync(e.Sequence, e.Kind, e.Data, e.CreatedAt, cursor, renderer, writer, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<bool> EmitAsync(
        long sequence, string kind, string data, DateTimeOffset createdAt, Cursor cursor, RunEventRenderer renderer, SseWriter writer,
        CancellationToken cancellationToken)
    {
        var rendered = await renderer.RenderAsync(sequence, kind, data, createdAt, cancellationToken);
        cursor.Rendered = sequence;
        if (sequence > cursor.ClientHas)
        {
            // A client that resumed inside this step has its slots up to ClientSlot already.
            var skipThrough = sequence == cursor.ClientHas + 1 ? cursor.ClientSlot : -1;
            var pending = rendered.Events.Where(e => e.Slot > skipThrough).ToList();
            for (var i = 0; i < pending.Count; i++)
            {
                var id = StreamEventId.Committed(sequence, pending[i].Slot, last: i == pending.Count - 1, rendered.Streamed);
                await writer.WriteEventAsync(pending[i].Event, pending[i].Data, id, cancellationToken);
            }

            cursor.ClientHas = sequence;
            cursor.ClientSlot = -1;
        }

        return kind == RunEventKinds.Status && IsTerminal(data);
    }

    private async Task<bool> HasEndedAsync(Guid runId, Cursor cursor, CancellationToken cancellationToken)
    {
        var run = await runs.ProgressAsync(runId, cancellationToken);
        // A deleted run (rollback) has ended too; a finished run has ended once its log is fully sent.
        return run is not { } progress || (AgentRunStatus.IsTerminal(progress.Status) && cursor.Rendered >= progress.LastEventSequence);
    }

    // The state before the run: the branch its first step was written on (the thread's head when it started, or the
    // checkpoint it was asked to run from).
    private async Task<JsonObject> LoadPriorValuesAsync(AgentRun run, CancellationToken cancellationToken)
    {
        var all = await checkpoints.LoadAsync(run.ThreadId, cancellationToken);
        var firstOwn = all.FirstOrDefault(c => c.RunId == run.RunId);
        var parent = firstOwn is not null
            ? firstOwn.ParentCheckpointId
            : CheckpointFold.Head(all.Where(c => c.RunId != run.RunId).ToList())?.CheckpointId;
        return CheckpointFold.FoldValues(CheckpointFold.Lineage(all, parent));
    }

    private static bool IsTerminal(string data) =>
        WireName.TryParse<AgentRunStatus>(JsonNode.Parse(data)?["status"]?.GetValue<string>(), out var status) && AgentRunStatus.IsTerminal(status);

    /// <summary>Where a client is in a run's stream.</summary>
    /// <param name="Sequence">The last committed event the client has (0: none).</param>
    /// <param name="Characters">Content characters it has of the message streaming after that event.</param>
    /// <param name="ToolCalls">Tool calls it has of that message.</param>
    /// <param name="Id">The id as the client sent it, or null.</param>
    internal sealed record StreamPosition(long Sequence, int Characters, int ToolCalls, string? Id)
    {
        /// <summary>Gets the slots of stored event <c>Sequence + 1</c> the client already has (up to and including this one); -1 for none.</summary>
        public int Slot { get; init; } = -1;

        /// <summary>Gets the position of a client that has nothing yet.</summary>
        public static StreamPosition Start { get; } = new(0, 0, 0, null);
    }

    private sealed class Cursor(long clientHas, long rendered)
    {
        public long ClientHas { get; set; } = clientHas;

        public long Rendered { get; set; } = rendered;

        // Slots of stored event ClientHas + 1 the client already has (-1: none).
        public int ClientSlot { get; set; } = -1;
    }
}
