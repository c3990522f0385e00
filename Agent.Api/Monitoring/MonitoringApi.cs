using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Monitoring;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;

namespace Agent.Api.Monitoring;

/// <summary>
/// Maps the read endpoints the web console needs beyond the LangGraph Server API (non-LangGraph extensions, see
/// docs/api.md "Monitoring"). Like every endpoint they need a key with scope <c>read</c> and see only the caller's
/// tenant: runs are read through the tenant-scoped context, so another tenant's run answers 404.
/// <list type="bullet">
/// <item><c>GET /monitoring/runs?status=&amp;assistant_id=&amp;thread_id=&amp;since=&amp;until=&amp;limit=</c>: runs across threads, newest first.</item>
/// <item><c>GET /monitoring/runs/{run_id}</c>: the run, its claims (lease epochs), its event log and its model calls.</item>
/// <item><c>GET /monitoring/system</c>: the caller's pending, running and parked runs; the workers and the run queue as
/// the workers report them; the providers' rate-limit state.</item>
/// </list>
/// </summary>
internal static class MonitoringApi
{
    /// <summary>A worker report older than this many report periods marks the worker stale.</summary>
    private const int StaleAfterPeriods = 3;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapMonitoringApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/monitoring").WithTags("Monitoring");
        group.MapGet("/runs", ListRunsAsync).WithName("MonitorRuns")
            .WithSummary("Lists the caller's runs across threads with duration, steps, tokens, cost and attempts (not LangGraph).");
        group.MapGet("/runs/{run_id}", GetRunAsync).WithName("MonitorRun")
            .WithSummary("Gets a run's timeline: claims (lease epochs), events and model calls (not LangGraph).");
        group.MapGet("/system", GetSystemAsync).WithName("MonitorSystem")
            .WithSummary("Gets runs pending/running/parked, the workers and run queue as reported, and provider rate limits (not LangGraph).");
        return app;
    }

    private static async Task<IResult> ListRunsAsync(HttpRequest request, MonitoringStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var query = request.Query;
        AgentRunStatus? status = null;
        if (query["status"].ToString() is { Length: > 0 } statusText)
        {
            if (!WireName.TryParse<AgentRunStatus>(statusText, out var parsed))
            {
                return ApiResults.Unprocessable(
                    $"status must be one of {string.Join(", ", WireName.All<AgentRunStatus>())}, got '{ApiRequest.Truncate(statusText)}'.");
            }

            status = parsed;
        }

        var ids = new Dictionary<string, Guid?>(StringComparer.Ordinal);
        foreach (var field in new[] { "assistant_id", "thread_id" })
        {
            ids[field] = null;
            if (query[field].ToString() is { Length: > 0 } text)
            {
                var (id, error) = ApiRequest.ParseId(text, field);
                if (error is not null)
                {
                    return error;
                }

                ids[field] = id;
            }
        }

        var times = new Dictionary<string, DateTimeOffset?>(StringComparer.Ordinal);
        foreach (var field in new[] { "since", "until" })
        {
            times[field] = null;
            if (query[field].ToString() is { Length: > 0 } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
                {
                    return ApiResults.Unprocessable($"{field} must be an ISO 8601 date or time, got '{ApiRequest.Truncate(text)}'.");
                }

                times[field] = time.ToUniversalTime();
            }
        }

        var (limit, limitError) = ApiRequest.QueryInt(request, "limit", 100, 1, 500);
        if (limitError is not null)
        {
            return limitError;
        }

        var runs = await store.ListRunsAsync(
            new RunListFilter(status, ids["assistant_id"], ids["thread_id"], times["since"], times["until"], limit), cancellationToken);
        var now = clock.GetUtcNow();
        return TypedResults.Json(new MonitoredRunList([.. runs.Select(r => ToRun(r, now))]), Json);
    }

    private static async Task<IResult> GetRunAsync(string run_id, MonitoringStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var (runId, error) = ApiRequest.ParseId(run_id, "run_id");
        if (error is not null)
        {
            return error;
        }

        var timeline = await store.LoadRunAsync(runId, cancellationToken);
        if (timeline is null)
        {
            return ApiResults.NotFound($"Run {runId} not found.");
        }

        var now = clock.GetUtcNow();
        return TypedResults.Json(
            new MonitoredRunDetail(
                ToRun(timeline.Run, now),
                [.. timeline.Leases.Select(l => new MonitoredLease(l.Epoch, l.Owner, l.PreviousOwner, l.Attempt, l.StepCount, l.ClaimedAt, l.Epoch > 1))],
                [.. timeline.Events.Select(e => new MonitoredEvent(e.Sequence, e.Kind, e.CreatedAt, Parse(e.Data)))],
                [.. timeline.ModelCalls.Select(c => new MonitoredModelCall(
                    c.Step, c.Provider, c.Model, c.InputTokens, c.OutputTokens, c.CachedInputTokens, Math.Round(c.LatencyMs, 2), c.FinishReason,
                    c.CostUsd, c.CreatedAt))]),
            Json);
    }

    private static async Task<IResult> GetSystemAsync(
        MonitoringStore store, TimeProvider clock, IConfiguration configuration, CancellationToken cancellationToken)
    {
        var snapshot = await store.LoadSystemAsync(cancellationToken);
        var now = clock.GetUtcNow();
        // The workers' report period (AgentWorker:ReportSeconds, default 5) when the API shares their configuration.
        var period = TimeSpan.FromSeconds(configuration.GetValue("AgentWorker:ReportSeconds", 5));
        var freshest = snapshot.Workers.Count > 0 ? snapshot.Workers[0] : null;
        return TypedResults.Json(
            new MonitoredSystem(
                new MonitoredRunCounts(snapshot.Pending, snapshot.Running, snapshot.Parked),
                freshest is null ? null : new MonitoredQueue(freshest.Queue, freshest.QueueDepth, freshest.QueueConsumers, freshest.ReportedAt),
                [.. snapshot.Workers.Select(w => new MonitoredWorker(
                    w.InstanceId, w.Host, w.ProcessId, w.Slots, w.BusySlots, w.Draining, w.StartedAt, w.ReportedAt,
                    now - w.ReportedAt > period * StaleAfterPeriods))],
                [.. snapshot.RateLimits.Select(l => new MonitoredRateLimit(
                    l.Key, Math.Max(0, Math.Round((l.RequestsTat - now).TotalMilliseconds)), Math.Max(0, Math.Round((l.TokensTat - now).TotalMilliseconds))))]),
            Json);
    }

    private static MonitoredRun ToRun(RunSummary run, DateTimeOffset now) => new(
        run.RunId,
        run.ThreadId,
        run.AssistantId,
        run.Status,
        run.Status == AgentRunStatus.Pending && run.NextAttemptAt is not null,
        run.CreatedAt,
        run.StartedAt,
        run.EndedAt,
        Math.Round(((run.EndedAt ?? now) - run.CreatedAt).TotalMilliseconds),
        run.StepCount,
        run.InputTokens,
        run.OutputTokens,
        run.CostUsd,
        run.Attempt,
        run.RetryCount,
        run.LeaseOwner,
        run.NextAttemptAt,
        run.Error is null ? null : Parse(run.Error),
        InputPreview(run.Kwargs));

    // The last human message of the submitted input: what the run was asked, for the list.
    private static string? InputPreview(string kwargs)
    {
        if (Parse(kwargs)?["input"]?["messages"] is not JsonArray messages)
        {
            return null;
        }

        var text = messages.OfType<JsonObject>()
            .LastOrDefault(m => (m["role"] ?? m["type"])?.GetValueKind() == JsonValueKind.String
                                && (m["role"] ?? m["type"])!.GetValue<string>() is "user" or "human")?["content"] switch
        {
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            JsonArray parts => string.Join(" ", parts.OfType<JsonObject>().Select(p => p["text"]).OfType<JsonValue>().Select(v => v.ToString())),
            _ => null,
        };
        return text is { Length: > 200 } ? text[..200] : text;
    }

    private static JsonNode? Parse(string json)
    {
        try
        {
            return JsonNode.Parse(json);
        }
        catch (JsonException)
        {
            return JsonValue.Create(json);
        }
    }
}
