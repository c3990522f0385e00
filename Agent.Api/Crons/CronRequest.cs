using System.Globalization;
using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Runs;
using Agent.Persistence.Assistants;
using Agent.Persistence.Crons;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;

namespace Agent.Api.Crons;

/// <summary>
/// Reads cron bodies (LangGraph <c>CronCreate</c> / <c>CronUpdate</c> / <c>CronSearch</c>, reference section 7.1): the
/// cron's own fields, and its run fields validated exactly as a run's (<see cref="RunRequest"/>).
/// </summary>
internal static class CronRequest
{
    private static readonly string[] CronFields = ["schedule", "timezone", "end_time", "enabled", "on_run_completed", "if_not_exists"];

    /// <summary>Reads the cron's own fields into the cron: schedule, timezone, end_time, enabled, on_run_completed.</summary>
    /// <param name="body">The body.</param>
    /// <param name="cron">The cron to fill (a new one, or the stored one on patch).</param>
    /// <param name="threadId">The cron's thread, or null for a stateless cron.</param>
    /// <param name="create">Whether this is a create (<c>if_not_exists</c> applies).</param>
    /// <returns>The cron, or a 422 detail naming the field at fault.</returns>
    public static (Cron? Cron, string? Error) Read(JsonObject body, Cron cron, Guid? threadId, bool create)
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

    /// <summary>Gets the run fields of a cron body: every field that is not the cron's own.</summary>
    /// <param name="body">The body.</param>
    /// <returns>A copy of the run fields.</returns>
    public static JsonObject RunBody(JsonObject body)
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

    /// <summary>Validates the run fields as a run's and builds what the scheduler needs to create each run.</summary>
    /// <param name="runBody">The run fields.</param>
    /// <param name="threadId">The cron's thread, or null for a stateless cron.</param>
    /// <returns>The stored payload and the validated run request, or a 422 detail.</returns>
    public static (JsonObject? Payload, RunRequest? Request, string? Error) Payload(JsonObject runBody, Guid? threadId)
    {
        var (request, error) = RunRequest.Parse(runBody, stateless: threadId is null);
        if (error is not null)
        {
            return (null, null, error);
        }

        if (request!.MultitaskStrategy is not (MultitaskStrategy.Enqueue or MultitaskStrategy.Reject))
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
            ["multitask_strategy"] = WireName.Of(request.MultitaskStrategy),
        }, request, null);
    }

    /// <summary>Computes the cron's next firing after a time (null when its schedule ends first).</summary>
    /// <param name="cron">The cron.</param>
    /// <param name="now">The time.</param>
    /// <returns>The next firing, or null.</returns>
    public static DateTimeOffset? NextRun(Cron cron, DateTimeOffset now)
    {
        var (schedule, _) = CronSchedule.Parse(cron.Schedule, cron.Timezone);
        return schedule?.NextAfter(now, cron.EndTime);
    }

    /// <summary>Reads the filters of a search or count body: <c>assistant_id</c> (an id or a graph name), <c>thread_id</c>, <c>enabled</c>.</summary>
    /// <param name="body">The body.</param>
    /// <returns>The filter, or a 422 detail naming the field at fault.</returns>
    public static (CronFilter? Filter, string? Error) ReadFilter(JsonObject body)
    {
        Guid? assistantId = null;
        if (body["assistant_id"] is not null)
        {
            var text = ApiRequest.Text(body, "assistant_id");
            assistantId = SystemAssistants.IdOf(text);
        }

        Guid? threadId = null;
        if (body["thread_id"] is not null)
        {
            if (!Guid.TryParse(ApiRequest.Text(body, "thread_id"), out var id))
            {
                return (null, "thread_id must be a UUID.");
            }

            threadId = id;
        }

        bool? enabled = null;
        if (body["enabled"] is { } enabledNode)
        {
            if (enabledNode is not JsonValue ev || !ev.TryGetValue<bool>(out var on))
            {
                return (null, "enabled must be a boolean.");
            }

            enabled = on;
        }

        return (new CronFilter(assistantId, threadId, enabled), null);
    }
}
