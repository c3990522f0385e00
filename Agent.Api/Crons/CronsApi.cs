using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Runs;
using Agent.Persistence.Assistants;
using Agent.Persistence.Crons;
using Agent.Persistence.Threads;

namespace Agent.Api.Crons;

/// <summary>
/// Maps the cron endpoints of the LangGraph Server API (reference section 7.1): <c>POST /runs/crons</c> (a new
/// thread per run), <c>POST /threads/{thread_id}/runs/crons</c>, <c>POST /runs/crons/search</c>,
/// <c>POST /runs/crons/count</c>, <c>PATCH</c> and <c>DELETE /runs/crons/{cron_id}</c>. The worker's scheduler fires
/// them (<c>RunScheduler</c>); each tick fires exactly once across all worker replicas.
/// </summary>
/// <remarks>
/// The run fields of a cron (<c>input</c>, <c>config</c>, <c>metadata</c>, <c>context</c>, <c>webhook</c>,
/// <c>multitask_strategy</c> ...) are validated exactly as a run's (<see cref="RunRequest"/>), so a cron never fires a
/// run that would have been refused. Cron fields: <c>schedule</c> (five-field cron), <c>timezone</c> (IANA, default
/// UTC), <c>end_time</c>, <c>enabled</c> (default true), <c>on_run_completed</c> (stateless crons: <c>delete</c>, the
/// default, or <c>keep</c>). A thread cron's <c>multitask_strategy</c> is a run's: <c>enqueue</c> (default),
/// <c>reject</c> (a busy thread skips the tick), <c>interrupt</c> or <c>rollback</c> (the thread's unfinished runs are
/// stopped, or deleted, and the tick runs).
/// </remarks>
internal static class CronsApi
{
    private static readonly string[] SortFields = ["created_at", "updated_at", "cron_id", "assistant_id", "thread_id", "next_run_date", "end_time"];

    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapCronsApi(this IEndpointRouteBuilder app)
    {
        var crons = app.MapGroup("/runs/crons").WithTags("Crons");
        crons.MapPost("/", (HttpRequest request, CronStore store, ThreadStore threads, AssistantStore assistants, RunSubmitter submitter,
                TimeProvider clock, CancellationToken ct) => CreateAsync(null, request, store, threads, assistants, submitter, clock, ct)).WithName("CreateCron").WithSummary("Creates a cron: a new thread per run.");
        crons.MapPost("/search", SearchAsync).WithName("SearchCrons").WithSummary("Searches crons.");
        crons.MapPost("/count", CountAsync).WithName("CountCrons").WithSummary("Counts crons.");
        crons.MapPatch("/{cron_id}", PatchAsync).WithName("PatchCron").WithSummary("Updates a cron.");
        crons.MapDelete("/{cron_id}", DeleteAsync).WithName("DeleteCron").WithSummary("Deletes a cron.");
        app.MapPost("/threads/{thread_id}/runs/crons", (string thread_id, HttpRequest request, CronStore store, ThreadStore threads,
                AssistantStore assistants, RunSubmitter submitter, TimeProvider clock, CancellationToken ct) =>
                CreateAsync(thread_id, request, store, threads, assistants, submitter, clock, ct))
            .WithTags("Crons").WithName("CreateThreadCron").WithSummary("Creates a cron that runs on one thread.");
        return app;
    }

    private static async Task<IResult> CreateAsync(
        string? threadIdText, HttpRequest request, CronStore store, ThreadStore threads, AssistantStore assistants, RunSubmitter submitter,
        TimeProvider timeProvider, CancellationToken cancellationToken)
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

        var (cron, createThreadIfMissing, invalid) = CronRequest.Read(body!, new Cron { Schedule = string.Empty }, threadId, create: true);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var (payload, runRequest, payloadError) = CronRequest.Payload(CronRequest.RunBody(body!), threadId);
        if (payloadError is not null)
        {
            return ApiResults.Unprocessable(payloadError);
        }

        var assistant = await assistants.ResolveAsync(runRequest!.AssistantId, cancellationToken);
        if (assistant is null)
        {
            return ApiResults.NotFound($"Assistant '{ApiRequest.Truncate(runRequest.AssistantId)}' not found.");
        }

        if (await submitter.CheckWebhookAsync(runRequest, cancellationToken) is { } refused)
        {
            return refused;
        }

        var now = timeProvider.GetUtcNow();
        var createThread = false;
        if (threadId is { } existing && !await threads.ExistsAsync(existing, cancellationToken))
        {
            if (!createThreadIfMissing)
            {
                return ApiResults.NotFound($"Thread {existing} not found.");
            }

            createThread = true;
        }

        cron!.CronId = Guid.CreateVersion7();
        cron.AssistantId = assistant.AssistantId;
        cron.ThreadId = threadId;
        cron.Payload = payload!.ToJsonString();
        cron.Metadata = runRequest.Metadata.ToJsonString();
        cron.CreatedAt = now;
        cron.UpdatedAt = now;
        cron.NextRunDate = CronRequest.NextRun(cron, now);
        await store.CreateAsync(cron, createThread, cancellationToken);
        return ApiResults.Json(CronJson.From(cron));
    }

    private static async Task<IResult> PatchAsync(
        string cron_id, HttpRequest request, CronStore store, RunSubmitter submitter, TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        var (cron, error) = await FindAsync(cron_id, store, cancellationToken);
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

        var (_, _, invalid) = CronRequest.Read(body, cron!, cron!.ThreadId, create: false);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var runFields = CronRequest.RunBody(body);
        if (runFields.Count > 0)
        {
            // The run fields merge into the stored body and are validated again as a whole.
            var stored = (JsonNode.Parse(cron.Payload)?["body"] as JsonObject)?.DeepClone() as JsonObject ?? [];
            foreach (var (key, value) in runFields)
            {
                stored[key] = value?.DeepClone();
            }

            var (payload, runRequest, payloadError) = CronRequest.Payload(stored, cron.ThreadId);
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
        cron.NextRunDate = CronRequest.NextRun(cron, now);
        await store.UpdateAsync(cron, cancellationToken);
        return ApiResults.Json(CronJson.From(cron));
    }

    private static async Task<IResult> DeleteAsync(string cron_id, CronStore store, CancellationToken cancellationToken)
    {
        var (cron, error) = await FindAsync(cron_id, store, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        await store.DeleteAsync(cron!.CronId, cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> SearchAsync(HttpRequest request, CronStore store, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (search, searchError) = SearchRequest.Parse(body!, SortFields, CronJson.Fields);
        var (filter, filterError) = CronRequest.ReadFilter(body!);
        if ((searchError ?? filterError) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var crons = await store.SearchAsync(filter!, search!.SortBy, search.Descending, search.Offset, search.Limit, cancellationToken);
        return ApiResults.Json(new JsonArray(crons.Select(c => (JsonNode)search.Project(CronJson.From(c))).ToArray()));
    }

    private static Task<IResult> CountAsync(HttpRequest request, CronStore store, CancellationToken cancellationToken) =>
        ApiRequest.CountAsync(request, CronRequest.ReadFilter, store.CountAsync, cancellationToken);

    private static async Task<(Cron? Cron, IResult? Error)> FindAsync(string cronIdText, CronStore store, CancellationToken cancellationToken)
    {
        var (cronId, error) = ApiRequest.ParseId(cronIdText, "cron_id");
        if (error is not null)
        {
            return (null, error);
        }

        var cron = await store.FindAsync(cronId, cancellationToken);
        return cron is null ? (null, ApiResults.NotFound($"Cron {cronId} not found.")) : (cron, null);
    }
}
