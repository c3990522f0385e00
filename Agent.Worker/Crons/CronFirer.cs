using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Persistence.Crons;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Crons;

/// <summary>
/// Turns a due cron tick into a pending run, exactly once (see <see cref="FireAsync"/>), and cleans up the threads of
/// finished stateless runs. Used by <see cref="CronScheduler"/>; the worker's context sees every tenant, and each row
/// written carries the cron's tenant.
/// </summary>
/// <param name="db">The database context (unscoped).</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class CronFirer(AgentDbContext db, TimeProvider timeProvider, ILogger<CronFirer> logger)
{
    /// <summary>Finds enabled crons whose next tick has passed, oldest first.</summary>
    /// <param name="max">The most to return.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The due crons.</returns>
    public async Task<List<Cron>> FindDueAsync(int max, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        return await db.Crons.AsNoTracking()
            .Where(c => c.Enabled && c.NextRunDate != null && c.NextRunDate <= now)
            .OrderBy(c => c.NextRunDate).Take(max).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Fires one due tick: in one transaction, moves <c>next_run_date</c> to the next tick with a conditional
    /// <c>UPDATE ... WHERE next_run_date = old</c> and inserts the run (on a new thread for a stateless cron). Only one
    /// caller's update matches, so a tick fires exactly once however many workers try. A missed tick (workers were
    /// down) fires once; the next tick is the first after now.
    /// </summary>
    /// <param name="cron">The cron as read by <see cref="FindDueAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the firing (nothing is written then).</param>
    /// <returns>The run to send, or null when another worker fired the tick, the tick was skipped (a busy thread
    /// under <c>reject</c>), or the cron's thread or assistant is gone.</returns>
    public async Task<AgentRun?> FireAsync(Cron cron, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var (schedule, _) = CronSchedule.Parse(cron.Schedule, cron.Timezone);
        var next = schedule?.NextAfter(now, cron.EndTime);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var claimed = await db.Crons
            .Where(c => c.CronId == cron.CronId && c.Enabled && c.NextRunDate == cron.NextRunDate)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.NextRunDate, next).SetProperty(c => c.UpdatedAt, now), cancellationToken);
        if (claimed == 0)
        {
            // Another replica fired this tick (or the cron changed meanwhile).
            return null;
        }

        var payload = JsonNode.Parse(cron.Payload) as JsonObject ?? [];
        var assistant = await db.Assistants.AsNoTracking().SingleOrDefaultAsync(a => a.AssistantId == cron.AssistantId, cancellationToken);
        if (assistant is null)
        {
            await transaction.CommitAsync(cancellationToken);
            return null;
        }

        AgentThread thread;
        var strategy = WireName.TryParse<MultitaskStrategy>(payload["multitask_strategy"]?.GetValue<string>(), out var stored) ? stored : MultitaskStrategy.Enqueue;
        if (cron.ThreadId is { } threadId)
        {
            // Same lock as run creation in the API, so a reject check cannot race another submission.
            var existing = await db.Threads
                .FromSql($"SELECT * FROM agent.threads WHERE tenant_id = {cron.TenantId} AND thread_id = {threadId} FOR UPDATE")
                .SingleOrDefaultAsync(cancellationToken);
            if (existing is null)
            {
                await transaction.CommitAsync(cancellationToken);
                return null;
            }

            var busy = await db.Runs.AnyAsync(
                r => r.TenantId == cron.TenantId && r.ThreadId == threadId
                     && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running),
                cancellationToken);
            if (busy && strategy == MultitaskStrategy.Reject)
            {
                LogSkipped(logger, cron.CronId);
                await transaction.CommitAsync(cancellationToken);
                return null;
            }

            thread = existing;
        }
        else
        {
            thread = new AgentThread { TenantId = cron.TenantId, ThreadId = Guid.CreateVersion7(), CreatedAt = now };
            db.Threads.Add(thread);
        }

        var metadata = JsonNode.Parse(thread.Metadata) as JsonObject ?? [];
        metadata["graph_id"] = assistant.GraphId;
        metadata["assistant_id"] = assistant.AssistantId.ToString();
        metadata["cron_id"] = cron.CronId.ToString();
        thread.Metadata = metadata.ToJsonString();
        thread.Status = AgentThreadStatus.Busy;
        thread.UpdatedAt = now;

        var kwargs = payload["kwargs"]?.DeepClone() as JsonObject ?? [];
        // Each firing adds its own messages: fresh ids, or add_messages would replace the previous firing's.
        foreach (var message in (kwargs["input"]?["messages"] as JsonArray ?? []).OfType<JsonObject>())
        {
            message["id"] = Guid.NewGuid().ToString();
        }

        var recursionLimit = payload["recursion_limit"]?.GetValue<int>() ?? 25;
        if (payload["recursion_limit_given"]?.GetValue<bool>() != true
            && JsonNode.Parse(assistant.Config)?["recursion_limit"] is JsonValue limit && limit.TryGetValue<int>(out var fromAssistant))
        {
            recursionLimit = fromAssistant;
            kwargs["config"] ??= new JsonObject();
            kwargs["config"]!["recursion_limit"] = fromAssistant;
        }

        var run = new AgentRun
        {
            RunId = Guid.CreateVersion7(),
            TenantId = cron.TenantId,
            ThreadId = thread.ThreadId,
            AssistantId = assistant.AssistantId,
            Status = AgentRunStatus.Pending,
            Metadata = (payload["metadata"] as JsonObject ?? []).ToJsonString(),
            Kwargs = kwargs.ToJsonString(),
            MultitaskStrategy = strategy,
            RecursionLimit = recursionLimit,
            DeleteThreadOnCompletion = cron.ThreadId is null && cron.OnRunCompleted == "delete",
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();
        return run;
    }

    /// <summary>Deletes the threads of stateless runs with <c>on_completion=delete</c> that ended before the retention.</summary>
    /// <param name="retention">How long a finished run's thread is kept.</param>
    /// <param name="max">The most threads deleted per call.</param>
    /// <param name="cancellationToken">Cancels the deletion.</param>
    /// <returns>A task that completes when they are deleted.</returns>
    public async Task DeleteFinishedStatelessThreadsAsync(TimeSpan retention, int max, CancellationToken cancellationToken)
    {
        var cutoff = timeProvider.GetUtcNow() - retention;
        var finished = await db.Runs.AsNoTracking()
            .Where(r => r.DeleteThreadOnCompletion && r.EndedAt != null && r.EndedAt < cutoff)
            .Select(r => new { r.TenantId, r.ThreadId })
            .Take(max).ToListAsync(cancellationToken);
        foreach (var thread in finished.Distinct())
        {
            // Runs first, then the thread: the lock order of a worker's step commit.
            await db.Runs.Where(r => r.TenantId == thread.TenantId && r.ThreadId == thread.ThreadId).ExecuteDeleteAsync(cancellationToken);
            await db.Threads.Where(t => t.TenantId == thread.TenantId && t.ThreadId == thread.ThreadId).ExecuteDeleteAsync(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cron {CronId} skipped a tick: its thread is busy and its multitask strategy is reject")]
    private static partial void LogSkipped(ILogger logger, Guid cronId);
}
