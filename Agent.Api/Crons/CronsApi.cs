using System.Globalization;
using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Runs;
using Agent.Persistence;
using Agent.Persistence.Crons;
using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;

namespace Agent.Api.Crons;

/// <summary>
/// Maps the cron endpoints of the LangGraph Server API (reference section 7.1): <c>POST /runs/crons</c> (a new
/// thread per run), <c>POST /threads/{thread_id}/runs/crons</c>, <c>POST /runs/crons/search</c>,
/// <c>POST /runs/crons/count</c>, <c>PATCH</c> and <c>DELETE /runs/crons/{cron_id}</c>. The worker's scheduler fires
/// them (<c>CronScheduler</c>); each tick fires exactly once across all worker replicas.
/// </summary>
/// <remarks>
/// The run fields of a cron (<c>input</c>, <c>config</c>, <c>metadata</c>, <c>context</c>, <c>webhook</c>,
/// <c>multitask_strategy</c> ...) are validated exactly as a run's (<see cref="RunRequest"/>), so a cron never fires a
/// run that would have been refused. Cron fields: <c>schedule</c> (five-field cron), <c>timezone</c> (IANA, default
/// UTC), <c>end_time</c>, <c>enabled</c> (default true), <c>on_run_completed</c> (stateless crons: <c>delete</c>, the
/// default, or <c>keep</c>). A thread cron's <c>multitask_strategy</c> is <c>enqueue</c> (default) or <c>reject</c>
/// (a busy thread skips the tick).
/// </remarks>
internal static class CronsApi
{
    private static readonly string[] CronFields = ["schedule", "timezone", "end_time", "enabled", "on_run_completed", "if_not_exists"];
    private static readonly string[] SortFields = ["created_at", "updated_at", "cron_id", "assistant_id", "thread_id", "next_run_date", "end_time"];
    private static readonly string[] Fields =
        ["cron_id", "assistant_id", "thread_id", "on_run_completed", "end_time", "schedule", "timezone", "created_at", "updated_at",
         "payload", "user_id", "next_run_date", "metadata", "enabled"];

    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapCronsApi(this IEndpointRouteBuilder app)
    {
        var crons = app.MapGroup("/runs/crons").WithTags("Crons");
        crons.MapPost("/", (HttpRequest request, AgentDbContext db, RunSubmitter submitter, TimeProvider clock, CancellationToken ct) =>
            CreateAsync(null, request, db, submitter, clock, ct)).WithName("CreateCron").WithSummary("Creates a cron: a new thread per run.");
        crons.MapPost("/search", SearchAsync).WithName("SearchCrons").WithSummary("Searches crons.");
        crons.MapPost("/count", CountAsync).WithName("CountCrons").WithSummary("Counts crons.");
        crons.MapPatch("/{cron_id}", PatchAsync).WithName("PatchCron").WithSummary("Updates a cron.");
        crons.MapDelete("/{cron_id}", DeleteAsync).WithName("DeleteCron").WithSummary("Deletes a cron.");
        app.MapPost("/threads/{thread_id}/runs/crons", (string thread_id, HttpRequest request, AgentDbContext db, RunSubmitter submitter,
                TimeProvider clock, CancellationToken ct) => CreateAsync(thread_id, request, db, submitter, clock, ct))
            .WithTags("Crons").WithName("CreateThreadCron").WithSummary("Creates a cron that runs on one thread.");
        return app;
    }

    private static async Task<IResult> CreateAsync(
        string? threadIdText, HttpRequest request, AgentDbContext db, RunSubmitter submitter, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        Guid? threadId = null;
        if (threadIdText is not null)
        {
            var (id, idError) = ApiRequest.ParseId(threadIdText, "thread_id");
            if (idError is not null)
            {
                return idError;
            }

            threadId = id;
        }

        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (ApiRequest.Text(body!, "schedule") is null)
        {
            return ApiResults.Unprocessable("schedule is required: a five-field cron expression such as '27 15 * * *'.");
        }

        var (cron, invalid) = Read(body!, new Cron { Schedule = string.Empty }, threadId, create: true);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var (payload, runRequest, payloadError) = Payload(RunBody(body!), threadId);
        if (payloadError is not null)
        {
            return ApiResults.Unprocessable(payloadError);
        }

        var assistant = await submitter.ResolveAssistantAsync(runRequest!.AssistantId, cancellationToken);
        if (assistant is null)
        {
            return ApiResults.NotFound($"Assistant '{ApiRequest.Truncate(runRequest.AssistantId)}' not found.");
        }

        if (await submitter.CheckWebhookAsync(runRequest, cancellationToken) is { } refused)
        {
            return refused;
        }

        var now = timeProvider.GetUtcNow();
        if (threadId is { } existing && !await db.Threads.AnyAsync(t => t.ThreadId == existing, cancellationToken))
        {
            if (ApiRequest.Text(body!, "if_not_exists") != "create")
            {
                return ApiResults.NotFound($"Thread {existing} not found.");
            }

            db.Threads.Add(new AgentThread { ThreadId = existing, CreatedAt = now, UpdatedAt = now });
        }

        cron!.CronId = Guid.CreateVersion7();
        cron.AssistantId = assistant.AssistantId;
        cron.ThreadId = threadId;
        cron.Payload = payload!.ToJsonString();
        cron.Metadata = runRequest.Metadata.ToJsonString();
        cron.CreatedAt = now;
        cron.UpdatedAt = now;
        cron.NextRunDate = NextRun(cron, now);
        db.Crons.Add(cron);
        await db.SaveChangesAsync(cancellationToken);
        return ApiResults.Json(Json(cron));
    }

    private static async Task<IResult> PatchAsync(
        string cron_id, HttpRequest request, AgentDbContext db, RunSubmitter submitter, TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var (cron, error) = await FindAsync(cron_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (body, bodyError) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (bodyError is not null)
        {
            return bodyError;
        }

        if (body!.Count == 0)
        {
            // LangGraph Server answers an empty update with 400.
            return ApiResults.Problem(StatusCodes.Status400BadRequest, "Nothing to update: the body names no field of the cron.");
        }

        var (_, invalid) = Read(body, cron!, cron!.ThreadId, create: false);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var runFields = RunBody(body);
        if (runFields.Count > 0)
        {
            // The run fields merge into the stored body and are validated again as a whole.
            var stored = (JsonNode.Parse(cron.Payload)?["body"] as JsonObject)?.DeepClone() as JsonObject ?? [];
            foreach (var (key, value) in runFields)
            {
                stored[key] = value?.DeepClone();
            }

            var (payload, runRequest, payloadError) = Payload(stored, cron.ThreadId);
            if (payloadError is not null)
            {
                return ApiResults.Unprocessable(payloadError);
            }

            if (await submitter.CheckWebhookAsync(runRequest!, cancellationToken) is { } refused)
            {
                return refused;
            }

            cron.Payload = payload!.ToJsonString();
            cron.Metadata = runRequest!.Metadata.ToJsonString();
        }

        var now = timeProvider.GetUtcNow();
        cron.UpdatedAt = now;
        cron.NextRunDate = NextRun(cron, now);
        await db.SaveChangesAsync(cancellationToken);
        return ApiResults.Json(Json(cron));
    }

    private static async Task<IResult> DeleteAsync(string cron_id, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (cron, error) = await FindAsync(cron_id, db, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        await db.Crons.Where(c => c.CronId == cron!.CronId).ExecuteDeleteAsync(cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> SearchAsync(HttpRequest request, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (search, searchError) = SearchRequest.Parse(body!, SortFields, Fields);
        var (query, filterError) = Filter(body!, db);
        if ((searchError ?? filterError) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        query = (search!.SortBy, search.Descending) switch
        {
            ("updated_at", true) => query.OrderByDescending(c => c.UpdatedAt),
            ("updated_at", false) => query.OrderBy(c => c.UpdatedAt),
            ("cron_id", true) => query.OrderByDescending(c => c.CronId),
            ("cron_id", false) => query.OrderBy(c => c.CronId),
            ("assistant_id", true) => query.OrderByDescending(c => c.AssistantId),
            ("assistant_id", false) => query.OrderBy(c => c.AssistantId),
            ("thread_id", true) => query.OrderByDescending(c => c.ThreadId),
            ("thread_id", false) => query.OrderBy(c => c.ThreadId),
            ("next_run_date", true) => query.OrderByDescending(c => c.NextRunDate),
            ("next_run_date", false) => query.OrderBy(c => c.NextRunDate),
            ("end_time", true) => query.OrderByDescending(c => c.EndTime),
            ("end_time", false) => query.OrderBy(c => c.EndTime),
            (_, true) => query.OrderByDescending(c => c.CreatedAt),
            _ => query.OrderBy(c => c.CreatedAt),
        };
        var crons = await query.Skip(search.Offset).Take(search.Limit).ToListAsync(cancellationToken);
        return ApiResults.Json(new JsonArray(crons.Select(c => (JsonNode)search.Project(Json(c))).ToArray()));
    }

    private static Task<IResult> CountAsync(HttpRequest request, AgentDbContext db, CancellationToken cancellationToken) =>
        ApiRequest.CountAsync(request, body => Filter(body, db), cancellationToken);

    // Reads the cron's own fields into the cron (schedule, timezone, end_time, enabled, on_run_completed).
    private static (Cron? Cron, string? Error) Read(JsonObject body, Cron cron, Guid? threadId, bool create)
    {
        if (body["schedule"] is not null)
        {
            cron.Schedule = ApiRequest.Text(body, "schedule") ?? string.Empty;
        }

        if (body["timezone"] is not null)
        {
            cron.Timezone = ApiRequest.Text(body, "timezone") ?? string.Empty;
        }

        var (_, scheduleError) = CronSchedule.Parse(cron.Schedule, cron.Timezone);
        if (scheduleError is not null)
        {
            return (null, scheduleError);
        }

        if (body.ContainsKey("end_time"))
        {
            if (body["end_time"] is null)
            {
                cron.EndTime = null;
            }
            else if (ApiRequest.Text(body, "end_time") is { } text
                     && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var end))
            {
                cron.EndTime = end.ToUniversalTime();
            }
            else
            {
                return (null, "end_time must be an ISO 8601 date-time.");
            }
        }

        if (body["enabled"] is { } enabled)
        {
            if (enabled is not JsonValue ev || !ev.TryGetValue<bool>(out var on))
            {
                return (null, "enabled must be a boolean.");
            }

            cron.Enabled = on;
        }

        if (body["on_run_completed"] is not null)
        {
            var onRunCompleted = ApiRequest.Text(body, "on_run_completed");
            if (onRunCompleted is not ("delete" or "keep"))
            {
                return (null, "on_run_completed must be 'delete' or 'keep'.");
            }

            if (threadId is not null)
            {
                return (null, "on_run_completed applies to stateless crons only: a thread cron's runs stay on its thread.");
            }

            cron.OnRunCompleted = onRunCompleted;
        }

        if (create && body["if_not_exists"] is not null && ApiRequest.Text(body, "if_not_exists") is not ("create" or "reject"))
        {
            return (null, "if_not_exists must be 'create' or 'reject'.");
        }

        return (cron, null);
    }

    private static JsonObject RunBody(JsonObject body)
    {
        var run = new JsonObject();
        foreach (var (key, value) in body)
        {
            if (!CronFields.Contains(key))
            {
                run[key] = value?.DeepClone();
            }
        }

        return run;
    }

    // Validates the run fields as a run's and builds what the scheduler needs to create each run.
    private static (JsonObject? Payload, RunRequest? Request, string? Error) Payload(JsonObject runBody, Guid? threadId)
    {
        var (request, error) = RunRequest.Parse(runBody, stateless: threadId is null);
        if (error is not null)
        {
            return (null, null, error);
        }

        if (request!.MultitaskStrategy is not ("enqueue" or "reject"))
        {
            return (null, null, "multitask_strategy of a cron must be 'enqueue' or 'reject'.");
        }

        if (request.StartDelay is not null || request.CheckpointId is not null)
        {
            return (null, null, "after_seconds and checkpoint_id do not apply to crons.");
        }

        return (new JsonObject
        {
            ["body"] = runBody.DeepClone(),
            ["kwargs"] = request.Kwargs.DeepClone(),
            ["metadata"] = request.Metadata.DeepClone(),
            ["recursion_limit"] = request.RecursionLimit,
            ["recursion_limit_given"] = request.RecursionLimitGiven,
            ["multitask_strategy"] = request.MultitaskStrategy,
        }, request, null);
    }

    private static DateTimeOffset? NextRun(Cron cron, DateTimeOffset now)
    {
        var (schedule, _) = CronSchedule.Parse(cron.Schedule, cron.Timezone);
        return schedule?.NextAfter(now, cron.EndTime);
    }

    private static (IQueryable<Cron> Query, string? Error) Filter(JsonObject body, AgentDbContext db)
    {
        IQueryable<Cron> query = db.Crons.AsNoTracking();
        if (body["assistant_id"] is not null)
        {
            var text = ApiRequest.Text(body, "assistant_id");
            var id = Guid.TryParse(text, out var parsed)
                ? parsed
                : Persistence.Assistants.SystemAssistants.GraphIds.Contains(text) ? Persistence.Assistants.SystemAssistants.IdFor(text!) : Guid.Empty;
            query = query.Where(c => c.AssistantId == id);
        }

        if (body["thread_id"] is not null)
        {
            if (!Guid.TryParse(ApiRequest.Text(body, "thread_id"), out var threadId))
            {
                return (query, "thread_id must be a UUID.");
            }

            query = query.Where(c => c.ThreadId == threadId);
        }

        if (body["enabled"] is { } enabled)
        {
            if (enabled is not JsonValue ev || !ev.TryGetValue<bool>(out var on))
            {
                return (query, "enabled must be a boolean.");
            }

            query = query.Where(c => c.Enabled == on);
        }

        return (query, null);
    }

    private static async Task<(Cron? Cron, IResult? Error)> FindAsync(string cronIdText, AgentDbContext db, CancellationToken cancellationToken)
    {
        var (cronId, error) = ApiRequest.ParseId(cronIdText, "cron_id");
        if (error is not null)
        {
            return (null, error);
        }

        var cron = await db.Crons.SingleOrDefaultAsync(c => c.CronId == cronId, cancellationToken);
        return cron is null ? (null, ApiResults.NotFound($"Cron {cronId} not found.")) : (cron, null);
    }

    /// <summary>
    /// Builds the LangGraph <c>Cron</c> object: <c>{cron_id, assistant_id, thread_id, on_run_completed, end_time, schedule,
    /// timezone, created_at, updated_at, payload, user_id, next_run_date, metadata, enabled}</c>
    /// (<c>langgraphjs:libs/sdk/src/schema.ts</c>); <c>payload</c> is the run body as submitted.
    /// </summary>
    private static JsonObject Json(Cron cron) => new()
    {
        ["cron_id"] = cron.CronId.ToString(),
        ["assistant_id"] = cron.AssistantId.ToString(),
        ["thread_id"] = cron.ThreadId?.ToString(),
        ["on_run_completed"] = cron.ThreadId is null ? cron.OnRunCompleted : null,
        ["end_time"] = cron.EndTime,
        ["schedule"] = cron.Schedule,
        ["timezone"] = cron.Timezone,
        ["created_at"] = cron.CreatedAt,
        ["updated_at"] = cron.UpdatedAt,
        ["payload"] = JsonNode.Parse(cron.Payload)?["body"]?.DeepClone() ?? new JsonObject(),
        ["user_id"] = null,
        ["next_run_date"] = cron.Enabled ? cron.NextRunDate : null,
        ["metadata"] = JsonNode.Parse(cron.Metadata),
        ["enabled"] = cron.Enabled,
    };
}
