using System.Globalization;
using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Runs;
using Agent.Persistence.Assistants;
using Agent.Persistence.Crons;
using Agent.Persistence.Wire;

namespace Agent.Api.Crons;

/// <summary>
/// Reads cron bodies (LangGraph <c>CronCreate</c> / <c>CronUpdate</c> / <c>CronSearch</c>, reference section 7.1): the
/// cron's own fields, and its run fields validated exactly as a run's (<see cref="RunRequest"/>).
/// </summary>
internal static class CronRequest
{
    /// <summary>Reads the cron's own fields (<see cref="CronBody"/>) into the cron: schedule, timezone, end_time, enabled, on_run_completed.</summary>
    /// <param name="body">The body.</param>
    /// <param name="cron">The cron to fill (a new one, or the stored one on patch).</param>
    /// <param name="threadId">The cron's thread, or null for a stateless cron.</param>
    /// <param name="create">Whether this is a create (<c>schedule</c> is required).</param>
    /// <returns>The cron and whether a missing thread is created (<c>if_not_exists</c>), or a 422 detail naming the field at fault.</returns>
    public static (Cron? Cron, bool CreateThread, string? Error) Read(JsonObject body, Cron cron, Guid? threadId, bool create)
    {
        if (create && body["schedule"]?.GetValueKind() != System.Text.Json.JsonValueKind.String)
        {
            return (null, false, "schedule is required: a five-field cron expression such as '27 15 * * *'.");
        }

        var (wire, error) = WireBody.Read(body, CronsJsonContext.Default.CronBody);
        if (error is not null)
        {
            return (null, false, error);
        }

        cron.Schedule = wire!.Schedule ?? cron.Schedule;
        cron.Timezone = wire.Timezone ?? cron.Timezone;
        var (_, scheduleError) = CronSchedule.Parse(cron.Schedule, cron.Timezone);
        if (scheduleError is not null)
        {
            return (null, false, scheduleError);
        }

        if (body.ContainsKey("end_time"))
        {
            if (wire.EndTime is null)
            {
                cron.EndTime = null;
            }
            else if (DateTimeOffset.TryParse(wire.EndTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var end))
            {
                cron.EndTime = end.ToUniversalTime();
            }
            else
            {
                return (null, false, "end_time must be an ISO 8601 date-time.");
            }
        }

        cron.Enabled = wire.Enabled ?? cron.Enabled;
        if (wire.OnRunCompleted is { } onRunCompleted)
        {
            if (threadId is not null)
            {
                return (null, false, "on_run_completed applies to stateless crons only: a thread cron's runs stay on its thread.");
            }

            cron.OnRunCompleted = WireName.Of(onRunCompleted);
        }

        return (cron, create && wire.IfNotExists == IfNotExists.Create, null);
    }

    /// <summary>Gets the run fields of a cron body: every field that is not the cron's own.</summary>
    /// <param name="body">The body.</param>
    /// <returns>A copy of the run fields.</returns>
    public static JsonObject RunBody(JsonObject body)
    {
        var cronFields = WireBody.Names(CronsJsonContext.Default.CronBody);
        var run = new JsonObject();
        foreach (var (key, value) in body)
        {
            if (!cronFields.Contains(key, StringComparer.Ordinal))
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

        if (request!.StartDelay is not null || request.CheckpointId is not null)
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

    /// <summary>Reads the filters of a search or count body (<see cref="CronFilterBody"/>): <c>assistant_id</c> (an id or a graph name), <c>thread_id</c>, <c>enabled</c>.</summary>
    /// <param name="body">The body.</param>
    /// <returns>The filter, or a 422 detail naming the field at fault.</returns>
    public static (CronFilter? Filter, string? Error) ReadFilter(JsonObject body)
    {
        var (wire, error) = WireBody.Read(body, CronsJsonContext.Default.CronFilterBody);
        if (error is not null)
        {
            return (null, error);
        }

        Guid? threadId = null;
        if (wire!.ThreadId is { } text)
        {
            if (!Guid.TryParse(text, out var id))
            {
                return (null, "thread_id must be a UUID.");
            }

            threadId = id;
        }

        var assistantId = wire.AssistantId is null ? (Guid?)null : SystemAssistants.IdOf(wire.AssistantId);
        return (new CronFilter(assistantId, threadId, wire.Enabled), null);
    }
}
