using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence;
using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;

namespace Agent.Api.Threads;

/// <summary>
/// Maps the thread endpoints of the LangGraph Server API: <c>POST /threads</c>, <c>GET /threads/{thread_id}</c>,
/// <c>GET /threads/{thread_id}/state</c>.
/// </summary>
internal static class ThreadsApi
{
    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The group.</returns>
    public static RouteGroupBuilder MapThreadsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/threads").WithTags("Threads");
        group.MapPost("/", CreateThreadAsync).WithName("CreateThread").WithSummary("Creates a thread.");
        group.MapGet("/{thread_id}", GetThreadAsync).WithName("GetThread").WithSummary("Gets a thread with its current values.");
        group.MapGet("/{thread_id}/state", GetThreadStateAsync).WithName("GetThreadState").WithSummary("Gets a thread's latest state.");
        return group;
    }

    private static async Task<IResult> CreateThreadAsync(HttpRequest request, AgentDbContext db, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var threadId = Guid.CreateVersion7();
        if (body!["thread_id"] is { } idNode)
        {
            var (id, idError) = ApiRequest.ParseId(idNode is JsonValue v && v.TryGetValue<string>(out var s) ? s : idNode.ToJsonString(), "thread_id");
            if (idError is not null)
            {
                return idError;
            }

            threadId = id;
        }

        if (body["metadata"] is { } metadata && metadata is not JsonObject)
        {
            return ApiResults.Unprocessable("metadata must be an object.");
        }

        var ifExists = body["if_exists"] switch
        {
            null => "raise",
            JsonValue ie when ie.TryGetValue<string>(out var mode) => mode,
            _ => "",
        };
        if (ifExists is not ("raise" or "do_nothing"))
        {
            return ApiResults.Unprocessable("if_exists must be 'raise' or 'do_nothing'.");
        }

        var existing = await db.Threads.AsNoTracking().SingleOrDefaultAsync(t => t.ThreadId == threadId, cancellationToken);
        if (existing is not null)
        {
            return ifExists == "do_nothing"
                ? ApiResults.Json(ThreadJson.Thread(existing, await ThreadJson.LoadCheckpointsAsync(db, threadId, cancellationToken)))
                : ApiResults.Problem(StatusCodes.Status409Conflict, $"Thread {threadId} already exists.");
        }

        var now = timeProvider.GetUtcNow();
        var thread = new AgentThread
        {
            ThreadId = threadId,
            Metadata = body["metadata"]?.ToJsonString() ?? "{}",
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Threads.Add(thread);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Lost a race with a concurrent create of the same id; anything else is a server fault.
            if (!await db.Threads.AsNoTracking().AnyAsync(t => t.ThreadId == threadId, cancellationToken))
            {
                throw;
            }

            return ApiResults.Problem(StatusCodes.Status409Conflict, $"Thread {threadId} already exists.");
        }

        return ApiResults.Json(ThreadJson.Thread(thread, []));
    }

    private static async Task<IResult> GetThreadAsync(string thread_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (threadId, error) = ApiRequest.ParseId(thread_id, "thread_id");
        if (error is not null)
        {
            return error;
        }

        var thread = await db.Threads.AsNoTracking().SingleOrDefaultAsync(t => t.ThreadId == threadId, cancellationToken);
        return thread is null
            ? ApiResults.NotFound($"Thread {threadId} not found.")
            : ApiResults.Json(ThreadJson.Thread(thread, await ThreadJson.LoadCheckpointsAsync(db, threadId, cancellationToken)));
    }

    private static async Task<IResult> GetThreadStateAsync(string thread_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (threadId, error) = ApiRequest.ParseId(thread_id, "thread_id");
        if (error is not null)
        {
            return error;
        }

        if (!await db.Threads.AsNoTracking().AnyAsync(t => t.ThreadId == threadId, cancellationToken))
        {
            return ApiResults.NotFound($"Thread {threadId} not found.");
        }

        return ApiResults.Json(ThreadJson.State(threadId, await ThreadJson.LoadCheckpointsAsync(db, threadId, cancellationToken)));
    }
}
