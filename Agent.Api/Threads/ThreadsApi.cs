using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Runs;
using Agent.Persistence;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;

namespace Agent.Api.Threads;

/// <summary>
/// Maps the thread endpoints of the LangGraph Server API (reference section 2.1): create, search, count, get,
/// patch, delete, copy; state (get, update, at a checkpoint) and history.
/// </summary>
internal static class ThreadsApi
{
    private static readonly string[] SortFields = ["created_at", "updated_at", "thread_id", "status"];
    private static readonly string[] Statuses =
        [AgentThreadStatus.Idle, AgentThreadStatus.Busy, AgentThreadStatus.Interrupted, AgentThreadStatus.Error];

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
        group.MapGet("/{thread_id}/history", GetHistoryAsync).WithName("GetThreadHistory").WithSummary("Lists states, newest first.");
        group.MapPost("/{thread_id}/history", PostHistoryAsync).WithName("PostThreadHistory").WithSummary("Lists states, newest first.");
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

        var (metadata, metadataError) = ApiRequest.OptionalObject(body, "metadata");
        var invalid = metadataError ?? ApiRequest.Unsupported(body, "ttl", "supersteps");
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
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
            Metadata = metadata?.ToJsonString() ?? "{}",
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
            db.ChangeTracker.Clear();
            if (!await db.Threads.AsNoTracking().AnyAsync(t => t.ThreadId == threadId, cancellationToken))
            {
                throw;
            }

            return ApiResults.Problem(StatusCodes.Status409Conflict, $"Thread {threadId} already exists.");
        }

        return ApiResults.Json(ThreadJson.Thread(thread, []));
    }

    private static async Task<IResult> SearchAsync(HttpRequest request, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (search, searchError) = SearchRequest.Parse(body!, SortFields, ThreadJson.Fields);
        var (query, filterError) = Filter(body!, db);
        if ((searchError ?? filterError ?? ApiRequest.Unsupported(body!, "extract")) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        query = (search!.SortBy, search.Descending) switch
        {
            ("updated_at", true) => query.OrderByDescending(t => t.UpdatedAt),
            ("updated_at", false) => query.OrderBy(t => t.UpdatedAt),
            ("thread_id", true) => query.OrderByDescending(t => t.ThreadId),
            ("thread_id", false) => query.OrderBy(t => t.ThreadId),
            ("status", true) => query.OrderByDescending(t => t.Status),
            ("status", false) => query.OrderBy(t => t.Status),
            (_, true) => query.OrderByDescending(t => t.CreatedAt),
            _ => query.OrderBy(t => t.CreatedAt),
        };
        var threads = await query.Skip(search.Offset).Take(search.Limit).ToListAsync(cancellationToken);

        // One query for the page's checkpoints (agent-chat-ui lists threads by their first message).
        var ids = threads.Select(t => t.ThreadId).ToList();
        var wantsValues = search.Select is null || search.Select.Contains("values") || search.Select.Contains("state_updated_at");
        var checkpoints = wantsValues
            ? (await db.Checkpoints.AsNoTracking().Where(c => ids.Contains(c.ThreadId)).OrderBy(c => c.Sequence).ToListAsync(cancellationToken))
                .ToLookup(c => c.ThreadId)
            : Enumerable.Empty<Checkpoint>().ToLookup(c => c.ThreadId);
        return ApiResults.Json(new JsonArray(threads
            .Select(t => (JsonNode)search.Project(ThreadJson.Thread(t, checkpoints[t.ThreadId].ToList())))
            .ToArray()));
    }

    private static Task<IResult> CountAsync(HttpRequest request, AgentDbContext db, CancellationToken cancellationToken) =>
        ApiRequest.CountAsync(request, body => Filter(body, db), cancellationToken);

    private static async Task<IResult> GetThreadAsync(string thread_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(thread_id, db, cancellationToken);
        return error ?? ApiResults.Json(ThreadJson.Thread(thread!, await ThreadJson.LoadCheckpointsAsync(db, thread!.ThreadId, cancellationToken)));
    }

    private static async Task<IResult> PatchAsync(
        string thread_id, HttpRequest request, AgentDbContext db, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(thread_id, db, cancellationToken, tracked: true);
        if (error is not null)
        {
            return error;
        }

        var (body, bodyError) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (bodyError is not null)
        {
            return bodyError;
        }

        var (metadata, metadataError) = ApiRequest.OptionalObject(body!, "metadata");
        if ((metadataError ?? ApiRequest.Unsupported(body!, "ttl")) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        if (metadata is not null)
        {
            // LangGraph merges the patch into the thread's metadata.
            var merged = JsonNode.Parse(thread!.Metadata) as JsonObject ?? [];
            foreach (var (key, value) in metadata)
            {
                merged[key] = value?.DeepClone();
            }

            thread.Metadata = merged.ToJsonString();
            thread.UpdatedAt = timeProvider.GetUtcNow();
            await db.SaveChangesAsync(cancellationToken);
        }

        return ApiResults.Json(ThreadJson.Thread(thread!, await ThreadJson.LoadCheckpointsAsync(db, thread!.ThreadId, cancellationToken)));
    }

    private static async Task<IResult> DeleteAsync(string thread_id, AgentDbContext db, RunCanceller canceller, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(thread_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        // Runs in flight are cancelled first, so their workers stop instead of writing into a deleted thread (their
        // fenced commits would find no row and stop anyway).
        var inFlight = await db.Runs.AsNoTracking()
            .Where(r => r.ThreadId == thread!.ThreadId && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running))
            .ToListAsync(cancellationToken);
        foreach (var run in inFlight)
        {
            await canceller.CancelAsync(run, "interrupt", CancellationToken.None);
        }

        // Runs first, then the thread: the order a worker's step commit locks them in (run row, then the thread's key),
        // so the two cannot deadlock.
        await db.Runs.Where(r => r.ThreadId == thread!.ThreadId).ExecuteDeleteAsync(CancellationToken.None);
        await db.Threads.Where(t => t.ThreadId == thread!.ThreadId).ExecuteDeleteAsync(CancellationToken.None);
        return Results.NoContent();
    }

    private static async Task<IResult> CopyAsync(string thread_id, AgentDbContext db, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (source, error) = await FindAsync(thread_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var checkpoints = await ThreadJson.LoadCheckpointsAsync(db, source!.ThreadId, cancellationToken);
        var now = timeProvider.GetUtcNow();
        var copy = new AgentThread { ThreadId = Guid.CreateVersion7(), Metadata = source.Metadata, CreatedAt = now, UpdatedAt = now };
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        db.Threads.Add(copy);
        await db.SaveChangesAsync(cancellationToken);

        // The copy gets its own checkpoint ids (the parent links are remapped); runs stay with the original thread.
        // One insert at a time keeps the sequence order, which is the fold order.
        var ids = checkpoints.ToDictionary(c => c.CheckpointId, _ => Guid.CreateVersion7());
        var copied = new List<Checkpoint>(checkpoints.Count);
        foreach (var checkpoint in checkpoints)
        {
            var clone = new Checkpoint
            {
                CheckpointId = ids[checkpoint.CheckpointId],
                ThreadId = copy.ThreadId,
                RunId = null,
                ParentCheckpointId = checkpoint.ParentCheckpointId is { } parent && ids.TryGetValue(parent, out var p) ? p : null,
                Step = checkpoint.Step,
                Node = checkpoint.Node,
                Delta = checkpoint.Delta,
                Metadata = checkpoint.Metadata,
                CreatedAt = checkpoint.CreatedAt,
            };
            db.Checkpoints.Add(clone);
            await db.SaveChangesAsync(cancellationToken);
            copied.Add(clone);
        }

        await transaction.CommitAsync(cancellationToken);
        return ApiResults.Json(ThreadJson.Thread(copy, copied));
    }

    private static async Task<IResult> GetThreadStateAsync(string thread_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(thread_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var checkpoints = await ThreadJson.LoadCheckpointsAsync(db, thread!.ThreadId, cancellationToken);
        return ApiResults.Json(ThreadJson.State(thread.ThreadId, checkpoints, CheckpointFold.Head(checkpoints)));
    }

    private static async Task<IResult> GetStateAtAsync(string thread_id, string checkpoint_id, AgentDbContext db, CancellationToken cancellationToken) =>
        await StateAtAsync(thread_id, JsonValue.Create(checkpoint_id), db, cancellationToken);

    private static async Task<IResult> PostStateAtAsync(string thread_id, HttpRequest request, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        return error ?? await StateAtAsync(thread_id, body!["checkpoint"], db, cancellationToken);
    }

    private static async Task<IResult> StateAtAsync(string threadIdText, JsonNode? checkpointNode, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(threadIdText, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (checkpointId, idError) = ThreadJson.ReadCheckpointId(checkpointNode, "checkpoint");
        if (idError is not null || checkpointId is null)
        {
            return ApiResults.Unprocessable(idError ?? "checkpoint is required.");
        }

        var checkpoints = await ThreadJson.LoadCheckpointsAsync(db, thread!.ThreadId, cancellationToken);
        var at = checkpoints.FirstOrDefault(c => c.CheckpointId == checkpointId);
        return at is null
            ? ApiResults.NotFound($"Checkpoint {checkpointId} not found on thread {thread.ThreadId}.")
            : ApiResults.Json(ThreadJson.State(thread.ThreadId, checkpoints, at));
    }

    private static async Task<IResult> UpdateStateAsync(
        string thread_id, HttpRequest request, AgentDbContext db, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(thread_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (body, bodyError) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (bodyError is not null)
        {
            return bodyError;
        }

        var (values, valuesError) = ApiRequest.OptionalObject(body!, "values");
        var unknownChannel = values?.Select(p => p.Key).FirstOrDefault(k => k != "messages");
        var invalid = valuesError
                      ?? (unknownChannel is null ? null : $"values.{unknownChannel} is not a channel of this graph; its state has only messages.");
        var (messages, messagesError) = InputMessageNormalizer.Normalize(values?["messages"]);
        var asNode = ApiRequest.Text(body!, "as_node") ?? "__update__";
        if (asNode is not ("__update__" or "__start__" or "agent" or "tools"))
        {
            invalid ??= "as_node must be one of __start__, agent, tools.";
        }

        var (checkpointId, checkpointError) = ThreadJson.ReadCheckpointId(body!["checkpoint"], "checkpoint");
        var (checkpointIdField, checkpointIdError) = ThreadJson.ReadCheckpointId(body["checkpoint_id"], "checkpoint_id");
        if ((invalid ?? messagesError ?? checkpointError ?? checkpointIdError) is { } problem)
        {
            return ApiResults.Unprocessable(problem);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // FOR UPDATE serialises this with run creation on the thread (RunSubmitter takes the same lock).
        await db.Threads.FromSql($"SELECT * FROM agent.threads WHERE tenant_id = {db.TenantId} AND thread_id = {thread!.ThreadId} FOR UPDATE")
            .AsNoTracking().SingleAsync(cancellationToken);
        if (await db.Runs.AnyAsync(
                r => r.ThreadId == thread.ThreadId && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running), cancellationToken))
        {
            return ApiResults.Problem(
                StatusCodes.Status409Conflict, $"Thread {thread.ThreadId} is busy: a run is pending or running. Wait for it or cancel it first.");
        }

        var checkpoints = await ThreadJson.LoadCheckpointsAsync(db, thread.ThreadId, cancellationToken);
        var forkFrom = checkpointId ?? checkpointIdField;
        var parent = forkFrom is { } fork ? checkpoints.FirstOrDefault(c => c.CheckpointId == fork) : CheckpointFold.Head(checkpoints);
        if (forkFrom is not null && parent is null)
        {
            return ApiResults.NotFound($"Checkpoint {forkFrom} not found on thread {thread.ThreadId}.");
        }

        var now = timeProvider.GetUtcNow();
        var step = (parent?.Step ?? -1) + 1;
        var checkpoint = new Checkpoint
        {
            CheckpointId = Guid.CreateVersion7(),
            ThreadId = thread.ThreadId,
            RunId = null,
            ParentCheckpointId = parent?.CheckpointId,
            Step = step,
            Node = asNode,
            Delta = new JsonObject { ["messages"] = messages }.ToJsonString(),
            Metadata = new JsonObject
            {
                ["source"] = "update",
                ["step"] = step,
                ["thread_id"] = thread.ThreadId.ToString(),
                ["node"] = asNode,
            }.ToJsonString(),
            CreatedAt = now,
        };
        db.Checkpoints.Add(checkpoint);
        await db.SaveChangesAsync(cancellationToken);
        await db.Threads.Where(t => t.ThreadId == thread.ThreadId).ExecuteUpdateAsync(s => s.SetProperty(t => t.UpdatedAt, now), cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var reference = ThreadJson.CheckpointRef(thread.ThreadId, checkpoint.CheckpointId);
        // The Python SDK reads "checkpoint"; the JS SDK's type names "configurable": both are sent.
        return ApiResults.Json(new JsonObject { ["checkpoint"] = reference, ["configurable"] = reference.DeepClone() });
    }

    private static async Task<IResult> GetHistoryAsync(string thread_id, HttpRequest request, AgentDbContext db, CancellationToken cancellationToken)
    {
        var body = new JsonObject();
        if (request.Query["limit"].ToString() is { Length: > 0 } limit)
        {
            if (!int.TryParse(limit, out var l))
            {
                return ApiResults.Unprocessable("limit must be an integer.");
            }

            body["limit"] = l;
        }

        if (request.Query["before"].ToString() is { Length: > 0 } before)
        {
            body["before"] = before;
        }

        return await HistoryAsync(thread_id, body, db, cancellationToken);
    }

    private static async Task<IResult> PostHistoryAsync(string thread_id, HttpRequest request, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        return error ?? await HistoryAsync(thread_id, body!, db, cancellationToken);
    }

    /// <summary>
    /// Lists the thread's states, newest checkpoint first (every branch, as LangGraph's checkpointer lists them):
    /// <c>limit</c> (default 10), <c>before</c> (only checkpoints older than it), <c>checkpoint</c> (only that one)
    /// and <c>metadata</c> (checkpoints whose metadata contains it).
    /// </summary>
    private static async Task<IResult> HistoryAsync(string threadIdText, JsonObject body, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(threadIdText, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var limit = 10;
        if (body["limit"] is { } limitNode && (limitNode is not JsonValue lv || !lv.TryGetValue(out limit) || limit is < 1 or > SearchRequest.MaxLimit))
        {
            return ApiResults.Unprocessable($"limit must be an integer between 1 and {SearchRequest.MaxLimit}.");
        }

        var (before, beforeError) = ThreadJson.ReadCheckpointId(body["before"], "before");
        var (only, onlyError) = ThreadJson.ReadCheckpointId(body["checkpoint"], "checkpoint");
        var (metadata, metadataError) = ApiRequest.OptionalObject(body, "metadata");
        if ((beforeError ?? onlyError ?? metadataError) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var checkpoints = await ThreadJson.LoadCheckpointsAsync(db, thread!.ThreadId, cancellationToken);
        IEnumerable<Checkpoint> selected = checkpoints;
        if (before is { } beforeId)
        {
            var cutoff = checkpoints.FirstOrDefault(c => c.CheckpointId == beforeId);
            if (cutoff is null)
            {
                return ApiResults.NotFound($"Checkpoint {beforeId} not found on thread {thread.ThreadId}.");
            }

            selected = selected.Where(c => c.Sequence < cutoff.Sequence);
        }

        if (only is { } onlyId)
        {
            selected = selected.Where(c => c.CheckpointId == onlyId);
        }

        if (metadata is { Count: > 0 })
        {
            selected = selected.Where(c => JsonNode.Parse(c.Metadata) is JsonObject m
                                           && metadata.All(p => JsonNode.DeepEquals(m[p.Key], p.Value)));
        }

        var states = selected.Reverse().Take(limit).Select(c => (JsonNode)ThreadJson.State(thread.ThreadId, checkpoints, c));
        return ApiResults.Json(new JsonArray(states.ToArray()));
    }

    private static (IQueryable<AgentThread> Query, string? Error) Filter(JsonObject body, AgentDbContext db)
    {
        IQueryable<AgentThread> query = db.Threads.AsNoTracking();
        var (metadata, metadataError) = ApiRequest.OptionalObject(body, "metadata");
        if (metadataError is not null)
        {
            return (query, metadataError);
        }

        if (metadata is { Count: > 0 })
        {
            var filter = metadata.ToJsonString();
            query = query.Where(t => EF.Functions.JsonContains(t.Metadata, filter));
        }

        if (body["values"] is JsonObject { Count: > 0 })
        {
            return (query, "values is not supported as a filter by this server: state lives in checkpoints, not in the thread row.");
        }

        if (body["status"] is not null)
        {
            var status = ApiRequest.Text(body, "status");
            if (status is null || !Statuses.Contains(status))
            {
                return (query, $"status must be one of {string.Join(", ", Statuses)}.");
            }

            query = query.Where(t => t.Status == status);
        }

        var (ids, idsError) = ApiRequest.StringList(body, "ids");
        if (idsError is not null)
        {
            return (query, idsError);
        }

        if (ids is not null)
        {
            var parsed = new List<Guid>(ids.Count);
            foreach (var id in ids)
            {
                if (!Guid.TryParse(id, out var threadId))
                {
                    return (query, $"ids must be thread UUIDs, got '{ApiRequest.Truncate(id)}'.");
                }

                parsed.Add(threadId);
            }

            query = query.Where(t => parsed.Contains(t.ThreadId));
        }

        return (query, null);
    }

    private static async Task<(AgentThread? Thread, IResult? Error)> FindAsync(
        string threadIdText, AgentDbContext db, CancellationToken cancellationToken, bool tracked = false)
    {
        var (threadId, error) = ApiRequest.ParseId(threadIdText, "thread_id");
        if (error is not null)
        {
            return (null, error);
        }

        var threads = tracked ? db.Threads : db.Threads.AsNoTracking();
        var thread = await threads.SingleOrDefaultAsync(t => t.ThreadId == threadId, cancellationToken);
        return thread is null ? (null, ApiResults.NotFound($"Thread {threadId} not found.")) : (thread, null);
    }
}
