using System.Globalization;
using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Usage;

namespace Agent.Api.Usage;

/// <summary>
/// Maps the usage endpoints, over <c>agent.model_calls</c> (one row per model call). They extend the LangGraph Server
/// API, which has no usage resource: the per-run view sits under the run, beside <c>join</c> and <c>stream</c>; the
/// aggregate is a top-level resource like <c>/runs</c>. See docs/api.md, "Usage and cost".
/// <list type="bullet">
/// <item><c>GET /threads/{thread_id}/runs/{run_id}/usage</c>: the run's totals and each model call.</item>
/// <item><c>GET /usage?group_by=...&amp;run_id=&amp;thread_id=&amp;assistant_id=&amp;model=&amp;since=&amp;until=&amp;limit=</c>:
/// sums grouped by any of <c>run</c>, <c>thread</c>, <c>assistant</c>, <c>provider</c>, <c>model</c>, <c>day</c> (UTC).</item>
/// </list>
/// </summary>
internal static class UsageApi
{
    private static IReadOnlyList<string> Dimensions => UsageQueries.Dimensions;

    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapUsageApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/threads/{thread_id}/runs/{run_id}/usage", RunUsageAsync).WithTags("Usage").WithName("GetRunUsage")
            .WithSummary("Gets a run's model calls (provider, model, tokens, latency, finish reason, cost) and their totals.");
        app.MapGet("/usage", AggregateAsync).WithTags("Usage").WithName("GetUsage")
            .WithSummary("Sums model-call usage and cost, grouped by run, thread, assistant, provider, model and/or day.");
        return app;
    }

    private static async Task<IResult> RunUsageAsync(string thread_id, string run_id, RunQueries runs, CancellationToken cancellationToken)
    {
        var (threadId, threadError) = ApiRequest.ParseId(thread_id, "thread_id");
        if (threadError is not null)
        {
            return threadError;
        }

        var (runId, runError) = ApiRequest.ParseId(run_id, "run_id");
        if (runError is not null)
        {
            return runError;
        }

        if (await runs.FindAsync(runId, threadId, cancellationToken) is null)
        {
            return ApiResults.NotFound($"Run {runId} not found on thread {threadId}.");
        }

        var calls = await runs.ModelCallsAsync(runId, cancellationToken);
        var items = new JsonArray();
        foreach (var call in calls)
        {
            items.Add(new JsonObject
            {
                ["step"] = call.Step,
                ["checkpoint_ns"] = call.CheckpointNs,
                ["provider"] = call.Provider,
                ["model"] = call.Model,
                ["input_tokens"] = call.InputTokens,
                ["output_tokens"] = call.OutputTokens,
                ["cached_input_tokens"] = call.CachedInputTokens,
                ["latency_ms"] = Math.Round(call.LatencyMs, 2),
                ["finish_reason"] = call.FinishReason,
                ["cost_usd"] = call.CostUsd,
                ["created_at"] = call.CreatedAt,
            });
        }

        return ApiResults.Json(new JsonObject
        {
            ["run_id"] = runId.ToString(),
            ["thread_id"] = threadId.ToString(),
            ["totals"] = new JsonObject
            {
                ["calls"] = calls.Count,
                ["input_tokens"] = calls.Sum(c => c.InputTokens),
                ["output_tokens"] = calls.Sum(c => c.OutputTokens),
                ["cached_input_tokens"] = calls.Sum(c => c.CachedInputTokens ?? 0),
                ["cost_usd"] = calls.Sum(c => c.CostUsd ?? 0),
                ["unpriced_calls"] = calls.Count(c => c.CostUsd is null),
                ["latency_ms"] = Math.Round(calls.Sum(c => c.LatencyMs), 2),
            },
            ["model_calls"] = items,
        });
    }

    private static async Task<IResult> AggregateAsync(
        HttpRequest request, UsageQueries usage, ICallerTenant caller, CancellationToken cancellationToken)
    {
        var query = request.Query;
        var groupBy = query["group_by"].SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Distinct(StringComparer.Ordinal).ToList();
        if (groupBy.FirstOrDefault(g => !Dimensions.Contains(g)) is { } unknown)
        {
            return ApiResults.Unprocessable(
                $"group_by accepts {string.Join(", ", Dimensions)} (comma-separated), got '{ApiRequest.Truncate(unknown)}'.");
        }

        var limit = 1000;
        if (query["limit"].ToString() is { Length: > 0 } limitText && (!int.TryParse(limitText, out limit) || limit is < 1 or > 10000))
        {
            return ApiResults.Unprocessable("limit must be 1..10000.");
        }

        var filters = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var field in new[] { "run_id", "thread_id", "assistant_id" })
        {
            if (query[field].ToString() is { Length: > 0 } text)
            {
                var (id, error) = ApiRequest.ParseId(text, field);
                if (error is not null)
                {
                    return error;
                }

                filters[field] = id;
            }
        }

        foreach (var field in new[] { "since", "until" })
        {
            if (query[field].ToString() is { Length: > 0 } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
                {
                    return ApiResults.Unprocessable($"{field} must be an ISO 8601 date or time, got '{ApiRequest.Truncate(text)}'.");
                }

                filters[field] = time.ToUniversalTime();
            }
        }

        // The caller's tenant (unresolved matches nothing): the aggregate reads across the context's tenant filter.
        var aggregate = new UsageAggregateQuery(
            caller.TenantId ?? AgentTenants.Unresolved, groupBy, (Guid?)filters.GetValueOrDefault("run_id"), (Guid?)filters.GetValueOrDefault("thread_id"),
            (Guid?)filters.GetValueOrDefault("assistant_id"), query["model"].ToString() is { Length: > 0 } model ? model : null,
            (DateTimeOffset?)filters.GetValueOrDefault("since"), (DateTimeOffset?)filters.GetValueOrDefault("until"), limit);
        var rows = new JsonArray();
        foreach (var columns in await usage.AggregateAsync(aggregate, cancellationToken))
        {
            var row = new JsonObject();
            foreach (var (name, value) in columns)
            {
                row[name] = value switch
                {
                    null => null,
                    Guid id => id.ToString(),
                    DateOnly day => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    DateTime day => DateOnly.FromDateTime(day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    string text => text,
                    long number => number,
                    decimal number => number,
                    double number => Math.Round(number, 2),
                    var other => JsonValue.Create(other.ToString()),
                };
            }

            rows.Add(row);
        }

        return ApiResults.Json(new JsonObject
        {
            ["group_by"] = new JsonArray([.. groupBy.Select(g => (JsonNode)g)]),
            ["rows"] = rows,
        });
    }
}
