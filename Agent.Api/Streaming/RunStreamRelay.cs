using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Persistence;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Runs;
using Microsoft.EntityFrameworkCore;

namespace Agent.Api.Streaming;

/// <summary>
/// Streams a run to one SSE client: replays its events from PostgreSQL after the client's <c>Last-Event-ID</c>,
/// then follows live events from the bus, filling any gap from PostgreSQL, until the run ends. Works on every API
/// replica, because the durable log and the fan-out reach them all.
/// </summary>
/// <param name="db">The request's database context.</param>
/// <param name="broker">This replica's live event broker.</param>
internal sealed class RunStreamRelay(AgentDbContext db, RunEventBroker broker)
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
    /// <param name="db">The request's context.</param>
    /// <param name="run">The run about to be followed.</param>
    /// <exception cref="InvalidOperationException">The run belongs to another tenant (a bug, never a client error).</exception>
    public static void RequireSameTenant(AgentDbContext db, AgentRun run)
    {
        if (db.TenantId is not null && run.TenantId != db.TenantId)
        {
            throw new InvalidOperationException($"Run {run.RunId} is not visible to the request's tenant; find runs through the scoped context.");
        }
    }

    /// <summary>Streams the run until it ends or the client goes away.</summary>
    /// <param name="response">The response, headers already set with <see cref="SetStreamHeaders"/>.</param>
    /// <param name="run">The run, as found through the request's tenant-scoped context (see <see cref="RequireSameTenant"/>).</param>
    /// <param name="lastEventId">The last sequence the client has; 0 replays everything.</param>
    /// <param name="modes">The stream modes.</param>
    /// <param name="cancellationToken">The request's abort token.</param>
    /// <returns>True when the run ended while streaming; false when the client left first.</returns>
    /// <exception cref="InvalidOperationException">The run belongs to another tenant than the context's (a bug).</exception>
    public async Task<bool> StreamAsync(
        HttpResponse response, AgentRun run, long lastEventId, IReadOnlyList<string> modes, CancellationToken cancellationToken)
    {
        RequireSameTenant(db, run);
        using var subscription = broker.Subscribe(run.RunId);
        var writer = new SseWriter(response.Body);
        var renderer = new RunEventRenderer(modes, run.RunId, run.ThreadId, ct => LoadPriorMessagesAsync(run, ct));
        var cursor = new Cursor(lastEventId, modes.Contains(StreamModes.Values) ? 0 : lastEventId);

        try
        {
            var metadata = new JsonObject { ["run_id"] = run.RunId.ToString(), ["attempt"] = Math.Max(run.Attempt, 1) };
            await writer.WriteEventAsync("metadata", metadata.ToJsonString(), lastEventId.ToString(), cancellationToken);

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
        Guid runId, AgentRunEventRecorded live, Cursor cursor, RunEventRenderer renderer, SseWriter writer, CancellationToken cancellationToken)
    {
        if (live.Sequence <= cursor.Rendered)
        {
            return false;
        }

        if (live.Sequence != cursor.Rendered + 1)
        {
            // A gap: some events reached the log but not this replica (or not yet). The log is the truth.
            return await CatchUpAsync(runId, cursor, renderer, writer, cancellationToken);
        }

        return await EmitAsync(live.Sequence, live.Kind, live.Data, cursor, renderer, writer, cancellationToken);
    }

    private async Task<bool> CatchUpAsync(
        Guid runId, Cursor cursor, RunEventRenderer renderer, SseWriter writer, CancellationToken cancellationToken)
    {
        var events = await db.RunEvents.AsNoTracking()
            .Where(e => e.RunId == runId && e.Sequence > cursor.Rendered)
            .OrderBy(e => e.Sequence)
            .Select(e => new { e.Sequence, e.Kind, e.Data })
            .ToListAsync(cancellationToken);
        foreach (var e in events)
        {
            if (await EmitAsync(e.Sequence, e.Kind, e.Data, cursor, renderer, writer, cancellationToken))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task<bool> EmitAsync(
        long sequence, string kind, string data, Cursor cursor, RunEventRenderer renderer, SseWriter writer, CancellationToken cancellationToken)
    {
        var rendered = await renderer.RenderAsync(kind, data, cancellationToken);
        cursor.Rendered = sequence;
        if (sequence > cursor.ClientHas)
        {
            foreach (var (name, json) in rendered)
            {
                await writer.WriteEventAsync(name, json, sequence.ToString(), cancellationToken);
            }

            cursor.ClientHas = sequence;
        }

        return kind == RunEventKinds.Status && IsTerminal(data);
    }

    private async Task<bool> HasEndedAsync(Guid runId, Cursor cursor, CancellationToken cancellationToken)
    {
        var run = await db.Runs.AsNoTracking().Where(r => r.RunId == runId)
            .Select(r => new { r.Status, r.LastEventSequence }).FirstOrDefaultAsync(cancellationToken);
        // A deleted run (rollback) has ended too; a finished run has ended once its log is fully sent.
        return run is null || (AgentRunStatus.IsTerminal(run.Status) && cursor.Rendered >= run.LastEventSequence);
    }

    private async Task<JsonArray> LoadPriorMessagesAsync(AgentRun run, CancellationToken cancellationToken)
    {
        var firstOwn = await db.Checkpoints.AsNoTracking().Where(c => c.RunId == run.RunId)
            .MinAsync(c => (long?)c.Sequence, cancellationToken) ?? long.MaxValue;
        var prior = await db.Checkpoints.AsNoTracking()
            .Where(c => c.ThreadId == run.ThreadId && c.RunId != run.RunId && c.Sequence < firstOwn)
            .OrderBy(c => c.Sequence).ToListAsync(cancellationToken);
        return CheckpointFold.Fold(prior);
    }

    private static bool IsTerminal(string data) =>
        JsonNode.Parse(data)?["status"]?.GetValue<string>() is { } status && AgentRunStatus.IsTerminal(status);

    private sealed class Cursor(long clientHas, long rendered)
    {
        public long ClientHas { get; set; } = clientHas;

        public long Rendered { get; set; } = rendered;
    }
}
