using Agent.Api.Http;
using Agent.Api.Streaming;
using Agent.Persistence.Runs;

namespace Agent.Api.Runs;

/// <summary>
/// Maps the run endpoints of the LangGraph Server API (reference/langgraph-server-api.md section 2.1): create,
/// stream and wait on a thread or stateless (here); join and join stream (<c>RunsApi.Join.cs</c>); list, get, cancel,
/// delete and batch (<c>RunsApi.Manage.cs</c>).
/// </summary>
internal static partial class RunsApi
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
        thread.MapPost("/stream", (string thread_id, HttpContext http, RunSubmitter submitter, RunStreamRelay relay, RunCanceller canceller, RunLifecycle lifecycle) =>
                StreamAsync(thread_id, http, submitter, relay, canceller, lifecycle))
            .WithName("StreamRun").WithSummary("Creates a run and streams its output as SSE.");
        thread.MapPost("/wait", (string thread_id, HttpContext http, RunSubmitter submitter, RunFollower follower) => WaitAsync(thread_id, http, submitter, follower))
            .WithName("WaitRun").WithSummary("Creates a run and returns the thread's final values.");
        thread.MapGet("/", ListAsync).WithName("ListRuns").WithSummary("Lists a thread's runs, newest first.");
        thread.MapGet("/{run_id}", GetAsync).WithName("GetRun").WithSummary("Gets a run.");
        thread.MapGet("/{run_id}/stream", (string thread_id, string run_id, HttpContext http, RunStreamRelay relay, RunQueries runs, RunFollower follower) =>
                JoinStreamAsync(thread_id, run_id, http, relay, runs, follower))
            .WithName("JoinRunStream")
            .WithSummary("Streams a run; with Last-Event-ID, replays from that event (-1: from the start).");
        thread.MapGet("/{run_id}/join", JoinAsync).WithName("JoinRun").WithSummary("Waits for a run and returns the thread's final values.");
        thread.MapPost("/{run_id}/cancel", CancelAsync).WithName("CancelRun").WithSummary("Cancels a run (action interrupt or rollback).");
        thread.MapDelete("/{run_id}", DeleteAsync).WithName("DeleteRun").WithSummary("Deletes a finished run (its checkpoints stay).");

        var stateless = app.MapGroup("/runs").WithTags("Stateless Runs");
        stateless.MapPost("/", (HttpContext http, RunSubmitter submitter) => CreateAsync(null, http, submitter))
            .WithName("CreateStatelessRun").WithSummary("Creates a background run on a new thread.");
        stateless.MapPost("/stream", (HttpContext http, RunSubmitter submitter, RunStreamRelay relay, RunCanceller canceller, RunLifecycle lifecycle) =>
                StreamAsync(null, http, submitter, relay, canceller, lifecycle))
            .WithName("StreamStatelessRun").WithSummary("Creates a run on a new thread and streams it.");
        stateless.MapPost("/wait", (HttpContext http, RunSubmitter submitter, RunFollower follower) => WaitAsync(null, http, submitter, follower))
            .WithName("WaitStatelessRun").WithSummary("Creates a run on a new thread and returns its final values.");
        stateless.MapPost("/batch", BatchAsync).WithName("CreateRunBatch").WithSummary("Creates several stateless background runs.");
        stateless.MapPost("/cancel", CancelManyAsync).WithName("CancelRuns").WithSummary("Cancels runs by ids, thread or status.");
        stateless.MapGet("/{run_id}/stream", (string run_id, HttpContext http, RunStreamRelay relay, RunQueries runs, RunFollower follower) =>
                JoinStreamAsync(null, run_id, http, relay, runs, follower))
            .WithName("JoinStatelessRunStream").WithSummary("Streams a run by id (the Location of a stateless stream).");
        return app;
    }

    private static async Task<(AgentRun? Run, RunRequest? Request, IResult? Error)> SubmitAsync(
        string? threadIdText, HttpContext http, RunSubmitter submitter)
    {
        Guid? threadId = null;
        if (threadIdText is not null)
        {
            var (id, idError) = LangGraphErrors.ParsePathId(threadIdText, "thread");
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
        string? threadId, HttpContext http, RunSubmitter submitter, RunStreamRelay relay, RunCanceller canceller, RunLifecycle lifecycle)
    {
        var (run, request, error) = await SubmitAsync(threadId, http, submitter);
        if (error is not null)
        {
            return error;
        }

        RunStreamRelay.SetStreamHeaders(http.Response, run!, stateless: threadId is null);
        var ended = await relay.StreamAsync(http.Response, run!, RunStreamRelay.StreamPosition.Start, request!.StreamModes, http.RequestAborted, request.StreamSubgraphs);
        if (!ended && request.CancelOnDisconnect)
        {
            await canceller.CancelAsync(run!, CancelAction.Interrupt, CancellationToken.None);
        }

        if (ended && request.DeleteThreadOnCompletion)
        {
            await lifecycle.DeleteThreadAsync(run!.ThreadId, CancellationToken.None);
        }

        return TypedResults.Empty;
    }

    private static async Task<IResult> WaitAsync(string? threadId, HttpContext http, RunSubmitter submitter, RunFollower follower)
    {
        var (run, request, error) = await SubmitAsync(threadId, http, submitter);
        if (error is not null)
        {
            return error;
        }

        http.Response.Headers.ContentLocation = RunStreamRelay.RunPath(run!, stateless: threadId is null);
        // The Python SDK reconnects a dropped wait through Location (the join).
        http.Response.Headers.Location = RunStreamRelay.RunPath(run!, stateless: false) + "/join";
        var ended = await follower.WriteFinalValuesAsync(http, run!);
        if (!ended && request!.CancelOnDisconnect)
        {
            await follower.CancelIfUnfinishedAsync(run!);
        }

        if (ended && request!.DeleteThreadOnCompletion)
        {
            await follower.DeleteThreadAsync(run!);
        }

        return TypedResults.Empty;
    }
}
