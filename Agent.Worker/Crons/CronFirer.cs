using System.Text.Json.Nodes;
using Agent.Persistence.Crons;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Crons;

/// <summary>
/// Turns a due cron tick into a pending run, exactly once, through <see cref="RunLifecycle.AcceptCronTickAsync"/>: the
/// same acceptance as an API submission (the tenant's run limit, the budget pre-check, the multitask strategy). Used by
/// <c>RunScheduler</c>; the worker's context sees every tenant, and each run carries its cron's tenant.
/// </summary>
/// <param name="crons">Finds due crons.</param>
/// <param name="lifecycle">Accepts the runs.</param>
/// <param name="limits">The tenant's run limit (<c>Limits:MaxConcurrentRunsPerTenant</c>, shared with the API).</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class CronFirer(
    CronStore crons, RunLifecycle lifecycle, IOptions<RunLimits> limits, TimeProvider timeProvider, ILogger<CronFirer> logger)
{
    /// <summary>Finds enabled crons whose next tick has passed, oldest first.</summary>
    /// <param name="max">The most to return.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The due crons.</returns>
    public Task<List<Cron>> FindDueAsync(int max, CancellationToken cancellationToken) =>
        crons.FindDueAsync(timeProvider.GetUtcNow(), max, cancellationToken);

    /// <summary>
    /// Fires one due tick (on a new thread for a stateless cron). A missed tick (workers were down) fires once; the
    /// next tick is the first after now. A tick refused by the tenant's run limit stays due and fires later.
    /// </summary>
    /// <param name="cron">The cron as read by <see cref="FindDueAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the firing (nothing is written then).</param>
    /// <returns>The decision, or null when another worker fired the tick.</returns>
    public async Task<RunAccepted?> FireTickAsync(Cron cron, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var (schedule, _) = CronSchedule.Parse(cron.Schedule, cron.Timezone);
        var next = schedule?.NextAfter(now, cron.EndTime);
        var accepted = await lifecycle.AcceptCronTickAsync(cron.CronId, cron.NextRunDate, next, ToAcceptance(cron), cancellationToken);
        switch (accepted?.Outcome)
        {
            case RunAcceptanceOutcome.ThreadBusy:
                LogSkipped(logger, cron.CronId);
                break;
            case RunAcceptanceOutcome.TooManyRuns:
                LogDeferred(logger, cron.CronId, cron.TenantId, accepted.Detail);
                break;
            case RunAcceptanceOutcome.InvalidBudget:
                LogRefused(logger, cron.CronId, accepted.Detail);
                break;
        }

        return accepted;
    }

    /// <summary>Fires one due tick; see <see cref="FireTickAsync"/>.</summary>
    /// <param name="cron">The cron as read by <see cref="FindDueAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the firing.</param>
    /// <returns>The run to send, or null when another worker fired the tick or the tick created no run.</returns>
    public async Task<AgentRun?> FireAsync(Cron cron, CancellationToken cancellationToken) =>
        await FireTickAsync(cron, cancellationToken) is { Outcome: RunAcceptanceOutcome.Accepted, Run: { } run } ? run : null;

    private RunAcceptance ToAcceptance(Cron cron)
    {
        var payload = JsonNode.Parse(cron.Payload) as JsonObject ?? [];
        var kwargs = payload["kwargs"]?.DeepClone() as JsonObject ?? [];
        // Each firing adds its own messages: fresh ids, or add_messages would replace the previous firing's.
        foreach (var message in (kwargs["input"]?["messages"] as JsonArray ?? []).OfType<JsonObject>())
        {
            message["id"] = Guid.NewGuid().ToString();
        }

        return new RunAcceptance
        {
            TenantId = cron.TenantId,
            ThreadId = cron.ThreadId,
            AssistantId = cron.AssistantId,
            Kwargs = kwargs,
            Metadata = (payload["metadata"] as JsonObject ?? []).ToJsonString(),
            MultitaskStrategy = WireName.TryParse<MultitaskStrategy>(payload["multitask_strategy"]?.GetValue<string>(), out var stored)
                ? stored
                : MultitaskStrategy.Enqueue,
            RecursionLimit = payload["recursion_limit"]?.GetValue<int>() ?? 25,
            RecursionLimitGiven = payload["recursion_limit_given"]?.GetValue<bool>() == true,
            DeleteThreadOnCompletion = cron.ThreadId is null && cron.OnRunCompleted == "delete",
            ThreadStamps = new Dictionary<string, string> { ["cron_id"] = cron.CronId.ToString() },
            MaxConcurrentRuns = limits.Value.MaxConcurrentRunsPerTenant,
        };
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron {CronId} skipped a tick: its thread is busy and its multitask strategy is reject")]
    private static partial void LogSkipped(ILogger logger, Guid cronId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cron {CronId} of tenant {TenantId} deferred a tick: {Reason}")]
    private static partial void LogDeferred(ILogger logger, Guid cronId, string tenantId, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cron {CronId} skipped a tick: {Reason}")]
    private static partial void LogRefused(ILogger logger, Guid cronId, string? reason);
}
