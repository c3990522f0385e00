using System.Text;
using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Streaming;
using Agent.Api.Threads;
using Agent.Persistence;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Microsoft.EntityFrameworkCore;

namespace Agent.Api.Runs;

/// <summary>
/// Maps the run endpoints of the LangGraph Server API (reference/langgraph-server-api.md section 2.1): create,
/// stream and wait on a thread or stateless; list, get, join, join stream and cancel.
/// </summary>
internal static class RunsApi
{
    /// <summary>The most runs one <c>POST /runs/batch</c> creates. Default is 100.</summary>
    public const int MaxBatch = 100;

    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapRunsApi(this IEndpointRouteBuilder app)
    {
        var thread = app.MapGroup("/threads/{thread_id}/runs").WithTags("Thread Runs");
        thread.MapPost("/", (string thread_id, HttpContext http, RunSubmitter submitter) => CreateAsync(thread_id, http, submitter))
            .WithName("CreateRun").WithSummary("Creates a background run; returns the run at once.");
        thread.MapPost("/stream", (string thread_id, HttpContext http, RunSubmitter submitter, RunStreamRelay relay, RunCanceller canceller, AgentDbContext db) =>
                StreamAsync(thread_id, http, submitter, relay, canceller, db))
            .WithName("StreamRun").WithSummary("Creates a run and streams its output as SSE.");
        thread.MapPost("/wait", (string thread_id, HttpContext http, RunSubmitter submitter, RunWaiter waiter, RunCanceller canceller, AgentDbContext db) =>
                WaitAsync(thread_id, http, submitter, waiter, canceller, db))
            .WithName("WaitRun").WithSummary("Creates a run and returns the thread's final values.");
        thread.MapGet("/", ListAsync).WithName("ListRuns").WithSummary("Lists a thread's runs, newest first.");
        thread.MapGet("/{run_id}", GetAsync).WithName("GetRun").WithSummary("Gets a run.");
        thread.MapGet("/{run_id}/stream", (string thread_id, string run_id, HttpContext http, RunStreamRelay relay, RunCanceller canceller, AgentDbContext db) =>
                JoinStreamAsync(thread_id, run_id, http, relay, canceller, db))
            .WithName("JoinRunStream")
            .WithSummary("Streams a run; with Last-Event-ID, replays from that event (-1: from the start).");
        thread.MapGet("/{run_id}/join", JoinAsync).WithName("JoinRun").WithSummary("Waits for a run and returns the thread's final values.");
        thread.MapPost("/{run_id}/cancel", CancelAsync).WithName("CancelRun").WithSummary("Cancels a run (action interrupt or rollback).");
        thread.MapDelete("/{run_id}", DeleteAsync).WithName("DeleteRun").WithSummary("Deletes a finished run (its checkpoints stay).");

        var stateless = app.MapGroup("/runs").WithTags("Stateless Runs");
        stateless.MapPost("/", (HttpContext http, RunSubmitter submitter) => CreateAsync(null, http, submitter))
            .WithName("CreateStatelessRun").WithSummary("Creates a background run on a new thread.");
        stateless.MapPost("/stream", (HttpContext http, RunSubmitter submitter, RunStreamRelay relay, RunCanceller canceller, AgentDbContext db) =>
                StreamAsync(null, http, submitter, relay, canceller, db))
            .WithName("StreamStatelessRun").WithSummary("Creates a run on a new thread and streams it.");
        stateless.MapPost("/wait", (HttpContext http, RunSubmitter submitter, RunWaiter waiter, RunCanceller canceller, AgentDbContext db) =>
                WaitAsync(null, http, submitter, waiter, canceller, db))
            .WithName("WaitStatelessRun").WithSummary("Creates a run on a new thread and returns its final values.");
        stateless.MapPost("/batch", BatchAsync).WithName("CreateRunBatch").WithSummary("Creates several stateless background runs.");
        stateless.MapPost("/cancel", CancelManyAsync).WithName("CancelRuns").WithSummary("Cancels runs by ids, thread or status.");
        stateless.MapGet("/{run_id}/stream", (string run_id, HttpContext http, RunStreamRelay relay, RunCanceller canceller, AgentDbContext db) =>
                JoinStreamAsync(null, run_id, http, relay, canceller, db))
            .WithName("JoinStatelessRunStream").WithSummary("Streams a run by id (the Location of a stateless stream).");
        return app;
    }

    private static async Task<(AgentRun? Run, RunRequest? Request, IResult? Error)> SubmitAsync(
        string? threadIdText, HttpContext http, RunSubmitter submitter)
    {
        Guid? threadId = null;
        if (threadIdText is not null)
        {
            var (id, idError) = ApiRequest.ParseId(threadIdText, "thread_id");
            if (idError is not null)
            {
                return (null, null, idError);
            }

            threadId = id;
        }

        var (body, bodyError) = await ApiRequest.ReadObjectAsync(http.Request, http.RequestAborted);
        if (bodyError is not null)
        {
            return (null, null, bodyError);
        }

        var (request, invalid) = RunRequest.Parse(body!, stateless: threadId is null, ApiRequest.Limits(http));
        if (invalid is not null)
        {
            return (null, null, ApiResults.Unprocessable(invalid));
        }

        var (idempotencyKey, keyError) = ReadIdempotencyKey(http.Request);
        if (keyError is not null)
        {
            return (null, null, keyError);
        }

        // Once accepted, a run is not tied to this connection: a client that drops right after must still find it.
        var (run, error) = await submitter.SubmitAsync(threadId, request!, idempotencyKey, CancellationToken.None);
        return (run, request, error);
    }

    /// <summary>
    /// Reads the optional <c>Idempotency-Key</c> header (IETF draft-ietf-httpapi-idempotency-key-header: a string,
    /// sent bare as Stripe does or quoted as a structured-field string): 1 to 200 printable ASCII characters.
    /// </summary>
    private static (string? Key, IResult? Error) ReadIdempotencyKey(HttpRequest request)
    {
        if (!request.Headers.TryGetValue("Idempotency-Key", out var values))
        {
            return (null, null);
        }

        var key = values.ToString().Trim();
        if (key.Length >= 2 && key[0] == '"' && key[^1] == '"')
        {
            key = key[1..^1];
        }

        if (values.Count != 1 || key.Length is 0 or > AgentRun.IdempotencyKeyMaxLength || key.Any(c => c is < ' ' or > '~'))
        {
            return (null, ApiResults.Problem(
                StatusCodes.Status400BadRequest,
                $"Idempotency-Key must be one header of 1 to {AgentRun.IdempotencyKeyMaxLength} printable ASCII characters."));
        }

        return (key, null);
    }

    private static async Task<IResult> CreateAsync(string? threadId, HttpContext http, RunSubmitter submitter)
    {
        var (run, _, error) = await SubmitAsync(threadId, http, submitter);
        if (error is not null)
        {
            return error;
        }

        http.Response.Headers.ContentLocation = RunStreamRelay.RunPath(run!, stateless: threadId is null);
        return ApiResults.Json(RunJson.From(run!));
    }

    private static async Task<IResult> StreamAsync(
        string? threadId, HttpContext http, RunSubmitter submitter, RunStreamRelay relay, RunCanceller canceller, AgentDbContext db)
    {
        var (run, request, error) = await SubmitAsync(threadId, http, submitter);
        if (error is not null)
        {
            return error;
        }

        RunStreamRelay.SetStreamHeaders(http.Response, run!, stateless: threadId is null);
        var ended = await relay.StreamAsync(http.Response, run!, RunStreamRelay.StreamPosition.Start, request!.StreamModes, http.RequestAborted);
        if (!ended && request.CancelOnDisconnect)
        {
            await canceller.CancelAsync(run!, "interrupt", CancellationToken.None);
        }

        if (ended && request.DeleteThreadOnCompletion)
        {
            await DeleteThreadAsync(db, run!.ThreadId);
        }

        return Results.Empty;
    }

    private static async Task<IResult> WaitAsync(
        string? threadId, HttpContext http, RunSubmitter submitter, RunWaiter waiter, RunCanceller canceller, AgentDbContext db)
    {
        var (run, request, error) = await SubmitAsync(threadId, http, submitter);
        if (error is not null)
        {
            return error;
        }

        http.Response.Headers.ContentLocation = RunStreamRelay.RunPath(run!, stateless: threadId is null);
        // The Python SDK reconnects a dropped wait through Location (the join).
        http.Response.Headers.Location = RunStreamRelay.RunPath(run!, stateless: false) + "/join";
        var ended = await WriteFinalValuesAsync(http, run!, waiter, db);
        if (!ended && request!.CancelOnDisconnect)
        {
            await CancelIfUnfinishedAsync(run!, canceller, db);
        }

        if (ended && request!.DeleteThreadOnCompletion)
        {
            await DeleteThreadAsync(db, run!.ThreadId);
        }

        return Results.Empty;
    }

    private static async Task<IResult> JoinAsync(string thread_id, string run_id, HttpContext http, RunWaiter waiter, RunCanceller canceller, AgentDbContext db)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, db, http.RequestAborted);
        if (error is not null)
        {
            return error;
        }

        var ended = await WriteFinalValuesAsync(http, run!, waiter, db);
        if (!ended && CancelOnDisconnect(http.Request))
        {
            await CancelIfUnfinishedAsync(run!, canceller, db);
        }

        return Results.Empty;
    }

    private static async Task<IResult> JoinStreamAsync(
        string? thread_id, string run_id, HttpContext http, RunStreamRelay relay, RunCanceller canceller, AgentDbContext db)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, db, http.RequestAborted);
        if (error is not null)
        {
            return error;
        }

        // Without stream_mode a join streams the modes the run was created with (the SDKs reconnect without it).
        var (modes, modeError) = http.Request.Query["stream_mode"].Count > 0
            ? StreamModes.ParseQuery(http.Request.Query["stream_mode"].ToArray())
            : StreamModes.Parse(JsonNode.Parse(run!.Kwargs)?["stream_mode"]);
        if (modeError is not null)
        {
            return ApiResults.Unprocessable(modeError);
        }

        // Without Last-Event-ID a join sees only what happens from now on; "-1" (what useStream sends) replays all.
        var position = new RunStreamRelay.StreamPosition(run!.LastEventSequence, 0, 0, null);
        if (http.Request.Headers.TryGetValue("Last-Event-ID", out var header) && !string.IsNullOrWhiteSpace(header))
        {
            if (RunStreamRelay.ParseLastEventId(header.ToString()) is not { } parsed)
            {
                return ApiResults.Problem(StatusCodes.Status400BadRequest, "Last-Event-ID must be an event id from this stream, or -1.");
            }

            position = parsed;
        }

        RunStreamRelay.SetStreamHeaders(http.Response, run, stateless: thread_id is null);
        var ended = await relay.StreamAsync(http.Response, run, position, modes, http.RequestAborted);
        if (!ended && CancelOnDisconnect(http.Request))
        {
            await CancelIfUnfinishedAsync(run, canceller, db);
        }

        return Results.Empty;
    }

    private static async Task<IResult> ListAsync(string thread_id, HttpRequest request, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (threadId, error) = ApiRequest.ParseId(thread_id, "thread_id");
        if (error is not null)
        {
            return error;
        }

        var (limit, limitError) = ApiRequest.QueryInt(request, "limit", 10, 1, 1000);
        var (offset, offsetError) = ApiRequest.QueryInt(request, "offset", 0, 0, int.MaxValue);
        if ((limitError ?? offsetError) is { } queryError)
        {
            return queryError;
        }

        if (!await db.Threads.AsNoTracking().AnyAsync(t => t.ThreadId == threadId, cancellationToken))
        {
            return ApiResults.NotFound($"Thread {threadId} not found.");
        }

        var query = db.Runs.AsNoTracking().Where(r => r.ThreadId == threadId);
        if (request.Query["status"].ToString() is { Length: > 0 } status)
        {
            query = query.Where(r => r.Status == status);
        }

        // select: the fields to return, as repeated parameters or a JSON list (what the JS SDK sends).
        var select = new List<string>();
        foreach (var value in request.Query["select"])
        {
            if (value is null)
            {
                continue;
            }

            try
            {
                select.AddRange(value.StartsWith('[') ? JsonNode.Parse(value)!.AsArray().Select(f => f!.GetValue<string>()) : value.Split(','));
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
            {
                return ApiResults.Unprocessable("select must be field names or a JSON list of them.");
            }
        }

        var runs = await query.OrderByDescending(r => r.CreatedAt).Skip(offset).Take(limit).ToListAsync(cancellationToken);
        var items = runs.Select(RunJson.From).ToList();
        var unknown = select.FirstOrDefault(f => items.Count > 0 && !items[0].ContainsKey(f));
        if (unknown is not null)
        {
            return ApiResults.Unprocessable($"select names an unknown run field '{ApiRequest.Truncate(unknown)}'.");
        }

        return ApiResults.Json(new JsonArray(items.Select(item => (JsonNode)(select.Count == 0
            ? item
            : new JsonObject(select.Select(f => KeyValuePair.Create(f, item[f]?.DeepClone()))))).ToArray()));
    }

    private static async Task<IResult> GetAsync(string thread_id, string run_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, db, cancellationToken);
        return error ?? ApiResults.Json(RunJson.From(run!));
    }

    private static async Task<IResult> CancelAsync(
        string thread_id, string run_id, HttpRequest request, RunCanceller canceller, RunWaiter waiter, AgentDbContext db,
        CancellationToken cancellationToken)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var action = request.Query["action"].ToString() is { Length: > 0 } a ? a : "interrupt";
        if (action is not ("interrupt" or "rollback"))
        {
            return ApiResults.Unprocessable("action must be 'interrupt' or 'rollback'.");
        }

        if (AgentRunStatus.IsTerminal(run!.Status))
        {
            return ApiResults.Problem(StatusCodes.Status409Conflict, $"Run {run.RunId} has already ended ({run.Status}).");
        }

        await canceller.CancelAsync(run, action, CancellationToken.None);
        var wait = request.Query["wait"].ToString() is "1" or "true" or "yes";
        if (!wait)
        {
            return Results.Accepted();
        }

        var ended = await waiter.WaitAsync(run, onQuietInterval: null, cancellationToken);
        return ended is null ? Results.NoContent() : ApiResults.Json(RunJson.From(ended));
    }

    private static async Task<(AgentRun? Run, IResult? Error)> FindRunAsync(
        string? threadIdText, string runIdText, AgentDbContext db, CancellationToken cancellationToken)
    {
        Guid? threadId = null;
        if (threadIdText is not null)
        {
            var (id, threadError) = ApiRequest.ParseId(threadIdText, "thread_id");
            if (threadError is not null)
            {
                return (null, threadError);
            }

            threadId = id;
        }

        var (runId, runError) = ApiRequest.ParseId(runIdText, "run_id");
        if (runError is not null)
        {
            return (null, runError);
        }

        var run = await db.Runs.AsNoTracking()
            .SingleOrDefaultAsync(r => r.RunId == runId && (threadId == null || r.ThreadId == threadId), cancellationToken);
        return run is null
            ? (null, ApiResults.NotFound(threadId is null ? $"Run {runId} not found." : $"Run {runId} not found on thread {threadId}."))
            : (run, null);
    }

    private static async Task<IResult> DeleteAsync(string thread_id, string run_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (!AgentRunStatus.IsTerminal(run!.Status))
        {
            return ApiResults.Problem(StatusCodes.Status409Conflict, $"Run {run.RunId} is {run.Status}; cancel it before deleting it.");
        }

        await db.Runs.Where(r => r.RunId == run.RunId).ExecuteDeleteAsync(cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> BatchAsync(HttpContext http, RunSubmitter submitter)
    {
        JsonArray? payloads;
        try
        {
            payloads = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonArray;
        }
        catch (System.Text.Json.JsonException ex)
        {
            return ApiResults.Problem(StatusCodes.Status400BadRequest, "The request body is not valid JSON: " + ex.Message);
        }

        if (payloads is null)
        {
            return ApiResults.Unprocessable("The request body must be a list of run payloads.");
        }

        if (payloads.Count > MaxBatch)
        {
            return ApiResults.Unprocessable($"A batch holds at most {MaxBatch} runs; got {payloads.Count}.");
        }

        // Every payload is validated before any run is created, so a bad one creates none.
        var requests = new List<RunRequest>(payloads.Count);
        for (var i = 0; i < payloads.Count; i++)
        {
            if (payloads[i] is not JsonObject payload)
            {
                return ApiResults.Unprocessable($"[{i}] must be a run payload object.");
            }

            var (request, invalid) = RunRequest.Parse(payload, stateless: true);
            if (invalid is not null)
            {
                return ApiResults.Unprocessable($"[{i}]: {invalid}");
            }

            requests.Add(request!);
        }

        var runs = new JsonArray();
        foreach (var request in requests)
        {
            var (run, error) = await submitter.SubmitAsync(null, request, idempotencyKey: null, CancellationToken.None);
            if (error is not null)
            {
                return error;
            }

            runs.Add(RunJson.From(run!));
        }

        return ApiResults.Json(runs);
    }

    /// <summary>
    /// Cancels runs (<c>POST /runs/cancel?action=</c>): the <c>run_ids</c> given (of <c>thread_id</c> when given), or
    /// every unfinished run of <c>thread_id</c>, or every run of the tenant with <c>status</c> (<c>pending</c>,
    /// <c>running</c> or <c>all</c>). Finished runs among <c>run_ids</c> are left as they are.
    /// </summary>
    private static async Task<IResult> CancelManyAsync(HttpRequest request, RunCanceller canceller, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var action = request.Query["action"].ToString() is { Length: > 0 } a ? a : "interrupt";
        if (action is not ("interrupt" or "rollback"))
        {
            return ApiResults.Unprocessable("action must be 'interrupt' or 'rollback'.");
        }

        var query = db.Runs.AsNoTracking().Where(r => r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running);
        var filtered = false;
        if (body!["thread_id"] is not null)
        {
            var (threadId, threadError) = ApiRequest.ParseId(ApiRequest.Text(body, "thread_id"), "thread_id");
            if (threadError is not null)
            {
                return threadError;
            }

            query = query.Where(r => r.ThreadId == threadId);
            filtered = true;
        }

        var (runIds, runIdsError) = ApiRequest.StringList(body, "run_ids");
        if (runIdsError is not null)
        {
            return ApiResults.Unprocessable(runIdsError);
        }

        if (runIds is not null)
        {
            var ids = new List<Guid>();
            foreach (var text in runIds)
            {
                var (id, idError) = ApiRequest.ParseId(text, "run_ids");
                if (idError is not null)
                {
                    return idError;
                }

                ids.Add(id);
            }

            query = query.Where(r => ids.Contains(r.RunId));
            filtered = true;
        }

        if (body["status"] is not null)
        {
            var status = ApiRequest.Text(body, "status");
            if (status is not ("pending" or "running" or "all"))
            {
                return ApiResults.Unprocessable("status must be 'pending', 'running' or 'all'.");
            }

            if (status != "all")
            {
                query = query.Where(r => r.Status == status);
            }

            filtered = true;
        }

        if (!filtered)
        {
            return ApiResults.Unprocessable("Name the runs to cancel: run_ids, thread_id or status.");
        }

        foreach (var run in await query.ToListAsync(cancellationToken))
        {
            await canceller.CancelAsync(run, action, CancellationToken.None);
        }

        return Results.NoContent();
    }

    private static bool CancelOnDisconnect(HttpRequest request) =>
        request.Query["cancel_on_disconnect"].ToString() is "1" or "true" or "yes";

    // The client left before the run ended: cancel it, unless it ended meanwhile.
    private static async Task CancelIfUnfinishedAsync(AgentRun run, RunCanceller canceller, AgentDbContext db)
    {
        var current = await db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.RunId == run.RunId, CancellationToken.None);
        if (current is not null && !AgentRunStatus.IsTerminal(current.Status))
        {
            await canceller.CancelAsync(current, "interrupt", CancellationToken.None);
        }
    }

    /// <summary>
    /// Waits for the run and writes the thread's final values (or <c>{"__error__": ...}</c>), sending a newline
    /// every quiet heartbeat interval to keep proxies from closing the connection (leading whitespace is valid JSON).
    /// </summary>
    private static async Task<bool> WriteFinalValuesAsync(HttpContext http, AgentRun run, RunWaiter waiter, AgentDbContext db)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        AgentRun? ended;
        try
        {
            ended = await waiter.WaitAsync(
                run,
                async () =>
                {
                    await response.Body.WriteAsync("\n"u8.ToArray(), http.RequestAborted);
                    await response.Body.FlushAsync(http.RequestAborted);
                },
                http.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && http.RequestAborted.IsCancellationRequested)
        {
            return false;
        }

        JsonNode result;
        if (ended?.Error is { } runError && ended.Status is AgentRunStatus.Error or AgentRunStatus.Timeout)
        {
            result = new JsonObject { ["__error__"] = JsonNode.Parse(runError) };
        }
        else
        {
            var checkpoints = await ThreadJson.LoadCheckpointsAsync(db, run.ThreadId, http.RequestAborted);
            result = new JsonObject { ["messages"] = CheckpointFold.FoldHead(checkpoints) };
        }

        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(result.ToJsonString()), http.RequestAborted);
        return true;
    }

    private static Task<int> DeleteThreadAsync(AgentDbContext db, Guid threadId) =>
        db.Threads.Where(t => t.ThreadId == threadId).ExecuteDeleteAsync(CancellationToken.None);
}
