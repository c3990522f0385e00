using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Agent.Api.Http;
using Agent.Api.Runs;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;

namespace Agent.Api.Threads;

/// <summary>
/// Maps the thread endpoints of the LangGraph Server API (reference section 2.1): create, search, count, get,
/// patch, delete, copy; state (get, update, at a checkpoint) and history (<c>ThreadsApi.State.cs</c>).
/// </summary>
internal static partial class ThreadsApi
{
    private static readonly string[] SortFields = ["created_at", "updated_at", "thread_id", "status"];

    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The group.</returns>
    public static RouteGroupBuilder MapThreadsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/threads").WithTags("Threads");
        group.MapPost("/", CreateThreadAsync).WithName("CreateThread").WithSummary("Creates a thread.");
        group.MapPost("/search", SearchAsync).WithName("SearchThreads").WithSummary("Searches threads by ids, metadata and status.");
        group.MapPost("/count", CountAsync).WithName("CountThreads").WithSummary("Counts threads matching the filters.");
        group.MapGet("/{thread_id}", GetThreadAsync).WithName("GetThread").WithSummary("Gets a thread with its current values.");
        group.MapPatch("/{thread_id}", PatchAsync).WithName("PatchThread").WithSummary("Merges metadata into a thread.");
        group.MapDelete("/{thread_id}", DeleteAsync).WithName("DeleteThread").WithSummary("Cancels a thread's runs and deletes it.");
        group.MapPost("/{thread_id}/copy", CopyAsync).WithName("CopyThread").WithSummary("Copies a thread with its checkpoints.");
        group.MapGet("/{thread_id}/state", GetThreadStateAsync).WithName("GetThreadState").WithSummary("Gets a thread's latest state.");
        group.MapPost("/{thread_id}/state", UpdateStateAsync).WithName("UpdateThreadState")
            .WithSummary("Adds messages to the state as a new checkpoint (optionally on an earlier checkpoint).");
        group.MapGet("/{thread_id}/state/{checkpoint_id}", GetStateAtAsync).WithName("GetThreadStateAtCheckpoint")
            .WithSummary("Gets the state at a checkpoint.");
        group.MapPost("/{thread_id}/state/checkpoint", PostStateAtAsync).WithName("PostThreadStateAtCheckpoint")
            .WithSummary("Gets the state at the checkpoint in the body.");
        group.MapPatch("/{thread_id}/state", PatchStateAsync).WithName("PatchThreadState")
            .WithSummary("Merges metadata into the thread's latest checkpoint.");
        group.MapGet("/{thread_id}/stream", JoinThreadStreamAsync).WithName("JoinThreadStream")
            .WithSummary("Streams the thread's runs one after the other, from the unfinished ones on; stays open until the client closes it.");
        group.MapGet("/{thread_id}/history", GetHistoryAsync).WithName("GetThreadHistory").WithSummary("Lists states, newest first.");
        group.MapPost("/{thread_id}/history", PostHistoryAsync).WithName("PostThreadHistory").WithSummary("Lists states, newest first.");
        return group;
    }

    private static async Task<IResult> CreateThreadAsync(
        HttpRequest request, ThreadStore threads, CheckpointQueries checkpoints, RunLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (wire, invalid) = WireBody.Read(body!, ThreadsJsonContext.Default.ThreadCreate);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var threadId = Guid.CreateVersion7();
        if (wire!.ThreadId is { } idText)
        {
            var (id, idError) = LangGraphErrors.ParsePathId(idText, "thread");
            if (idError is not null)
            {
                return idError;
            }

            threadId = id;
        }

        var (supersteps, superstepsError) = StateUpdateRequest.ReadSupersteps(wire.Supersteps);
        if (superstepsError is not null)
        {
            return ApiResults.Unprocessable(superstepsError);
        }

        var (ttl, ttlError) = ThreadTtl.Read(wire.Ttl);
        if (ttlError is not null)
        {
            return ApiResults.Unprocessable(ttlError);
        }

        if (await threads.FindAsync(threadId, cancellationToken) is { } existing)
        {
            return wire.IfExists == OnConflictBehavior.DoNothing
                ? ApiResults.Json(ThreadJson.Thread(existing, await checkpoints.LoadAsync(threadId, cancellationToken)))
                : LangGraphErrors.Conflict;
        }

        var thread = await threads.CreateAsync(threadId, wire.Metadata?.ToJsonString() ?? "{}", ttl, cancellationToken);
        if (thread is null)
        {
            return LangGraphErrors.Conflict;
        }

        // A new thread has no run, so nothing can make an update busy; each superstep is one checkpoint on the head.
        foreach (var superstep in supersteps!)
        {
            await lifecycle.AddThreadStateAsync(threadId, null, superstep.AsNode, superstep.Messages, values: null, cancellationToken);
        }

        return supersteps!.Count == 0
            ? ApiResults.Json(ThreadJson.Thread(thread, []))
            : ApiResults.Json(ThreadJson.Thread((await threads.FindAsync(threadId, cancellationToken))!, await checkpoints.LoadAsync(threadId, cancellationToken)));
    }

    private static async Task<IResult> SearchAsync(
        HttpRequest request, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (search, searchError) = SearchRequest.Parse(body!, SortFields, ThreadJson.Fields);
        var (filter, filterError) = ThreadFilters.ReadSearch(body!);
        if ((searchError ?? filterError) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var page = await threads.SearchAsync(filter!, search!.SortBy, search.Descending, search.Offset, search.Limit, cancellationToken);

        // One query for the page's checkpoints (agent-chat-ui lists threads by their first message).
        var wantsValues = search.Select is null || search.Select.Contains("values") || search.Select.Contains("state_updated_at");
        var byThread = wantsValues
            ? await checkpoints.LoadManyAsync(page.Select(t => t.ThreadId).ToList(), cancellationToken)
            : Enumerable.Empty<Checkpoint>().ToLookup(c => c.ThreadId);
        return ApiResults.Json(new JsonArray(page
            .Select(t => (JsonNode)search.Project(ThreadJson.Thread(t, byThread[t.ThreadId].ToList())))
            .ToArray()));
    }

    private static Task<IResult> CountAsync(HttpRequest request, ThreadStore threads, CancellationToken cancellationToken) =>
        ApiRequest.CountAsync(request, ThreadFilters.Read, threads.CountAsync, cancellationToken);

    private static async Task<IResult> GetThreadAsync(
        string thread_id, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(thread_id, threads, cancellationToken);
        return error ?? ApiResults.Json(ThreadJson.Thread(thread!, await checkpoints.LoadAsync(thread!.ThreadId, cancellationToken)));
    }

    private static async Task<IResult> PatchAsync(
        string thread_id, HttpRequest request, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken)
    {
        var (thread, patch, error) = await FindWithBodyAsync(thread_id, request, threads, ThreadsJsonContext.Default.ThreadPatch, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (ttl, ttlError) = ThreadTtl.Read(patch!.Ttl);
        if (ttlError is not null)
        {
            return ApiResults.Unprocessable(ttlError);
        }

        if (patch.Metadata is not null || ttl is not null)
        {
            // LangGraph merges the patch into the thread's metadata; a ttl replaces the thread's.
            thread = await threads.PatchAsync(thread!.ThreadId, patch.Metadata, ttl, cancellationToken);
            if (thread is null)
            {
                return LangGraphErrors.NotFound;
            }
        }

        return ApiResults.Json(ThreadJson.Thread(thread!, await checkpoints.LoadAsync(thread!.ThreadId, cancellationToken)));
    }

    private static async Task<IResult> DeleteAsync(
        string thread_id, ThreadStore threads, RunQueries runs, RunCanceller canceller, RunLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(thread_id, threads, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        // Runs in flight are cancelled first, so their workers stop instead of writing into a deleted thread (their
        // fenced commits would find no row and stop anyway).
        foreach (var run in await runs.UnfinishedAsync(thread!.ThreadId, runIds: null, status: null, cancellationToken))
        {
            await canceller.CancelAsync(run, CancelAction.Interrupt, CancellationToken.None);
        }

        await lifecycle.DeleteThreadAsync(thread.ThreadId, CancellationToken.None);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> CopyAsync(string thread_id, ThreadStore threads, CancellationToken cancellationToken)
    {
        var (source, error) = await FindAsync(thread_id, threads, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (copy, copied) = await threads.CopyAsync(source!, cancellationToken);
        return ApiResults.Json(ThreadJson.Thread(copy, copied));
    }

    // A thread's endpoint with a typed body: the thread (404), then the body (400), then its fields (422).
    private static async Task<(AgentThread? Thread, T? Body, IResult? Error)> FindWithBodyAsync<T>(
        string threadIdText, HttpRequest request, ThreadStore threads, JsonTypeInfo<T> bodyType, CancellationToken cancellationToken)
        where T : class
    {
        var (thread, error) = await FindAsync(threadIdText, threads, cancellationToken);
        if (error is not null)
        {
            return (null, null, error);
        }

        var (body, bodyError) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (bodyError is not null)
        {
            return (null, null, bodyError);
        }

        var (wire, invalid) = WireBody.Read(body!, bodyType);
        return invalid is not null ? (null, null, ApiResults.Unprocessable(invalid)) : (thread, wire, null);
    }

    private static async Task<(AgentThread? Thread, IResult? Error)> FindAsync(
        string threadIdText, ThreadStore threads, CancellationToken cancellationToken)
    {
        var (threadId, error) = LangGraphErrors.ParsePathId(threadIdText, "thread");
        if (error is not null)
        {
            return (null, error);
        }

        var thread = await threads.FindAsync(threadId, cancellationToken);
        return thread is null ? (null, LangGraphErrors.NotFound) : (thread, null);
    }
}
