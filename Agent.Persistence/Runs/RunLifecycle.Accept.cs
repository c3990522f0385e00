using Agent.Contracts.Runs;
using System.Text.Json.Nodes;
using Agent.Persistence.Threads;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Agent.Persistence.Runs;

/// <summary>Accepts runs: the one place the tenant's limit, the budget pre-check and the multitask strategy apply.</summary>
public partial class RunLifecycle
{
    private const string IdempotencyKeyIndex = "ux_runs_tenant_id_idempotency_key";

    /// <summary>
    /// Accepts a run: commits it <c>pending</c> (on a new thread when it has none), or, when its
    /// <c>Idempotency-Key</c> was used already, returns the run created then. Callers then send its
    /// <c>StartAgentRun</c> (<see cref="RunDispatcher"/>); the row is committed first, so a failed send never loses it.
    /// </summary>
    /// <param name="request">The run.</param>
    /// <param name="cancellationToken">Cancels the acceptance (nothing is written then).</param>
    /// <returns>The decision, with the run when accepted or replayed.</returns>
    /// <remarks>
    /// Multitask strategies (reference section 6): <c>reject</c> refuses while a run of the thread is pending or
    /// running; <c>enqueue</c> queues behind them (a worker claims a run only when no older run of its thread is
    /// unfinished); <c>interrupt</c> and <c>rollback</c> queue the new run and then cancel the unfinished ones with that
    /// action (<see cref="CancelAsync"/>): pending ones at once, running ones by their worker at its next commit.
    /// The tenant's limit is exact: a transaction advisory lock per tenant serialises the count-then-insert of one
    /// tenant's submissions across API replicas and workers; other tenants are not held up.
    /// </remarks>
    public async Task<RunAccepted> AcceptAsync(RunAcceptance request, CancellationToken cancellationToken)
    {
        var tenant = request.TenantId ?? context.TenantId
                     ?? throw new ArgumentException("The run has no tenant and the context is not scoped to one.", nameof(request));
        request = request with { TenantId = tenant };
        if (request.IdempotencyKey is { } key && await FindByIdempotencyKeyAsync(tenant, key, cancellationToken) is { } earlier)
        {
            return Replay(earlier, request.ThreadId);
        }

        try
        {
            return await CreateAsync(request, cancellationToken);
        }
        catch (DbUpdateException ex) when (request.IdempotencyKey is not null
                                           && ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique
                                           && unique.ConstraintName == IdempotencyKeyIndex)
        {
            // A concurrent request with the same key won the insert: answer with its run.
            context.ChangeTracker.Clear();
            var winner = await FindByIdempotencyKeyAsync(tenant, request.IdempotencyKey, cancellationToken);
            return winner is null ? throw new InvalidOperationException("The run of a used Idempotency-Key vanished.", ex) : Replay(winner, request.ThreadId);
        }
    }

    /// <summary>Finds the run created earlier with an <c>Idempotency-Key</c>.</summary>
    /// <param name="tenantId">The tenant (keys are unique per tenant).</param>
    /// <param name="idempotencyKey">The key.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The run, or null.</returns>
    public Task<AgentRun?> FindByIdempotencyKeyAsync(string tenantId, string idempotencyKey, CancellationToken cancellationToken) =>
        context.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.TenantId == tenantId && r.IdempotencyKey == idempotencyKey, cancellationToken);

    private static RunAccepted Replay(AgentRun earlier, Guid? threadId) =>
        threadId is { } id && earlier.ThreadId != id
            ? new RunAccepted(RunAcceptanceOutcome.IdempotencyKeyConflict)
            : new RunAccepted(RunAcceptanceOutcome.Replayed, earlier);

    private async Task<RunAccepted> CreateAsync(RunAcceptance request, CancellationToken cancellationToken)
    {
        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        var (accepted, unfinished) = await InsertAsync(request, cancellationToken);
        if (accepted.Outcome != RunAcceptanceOutcome.Accepted)
        {
            return accepted;
        }

        await transaction.CommitAsync(cancellationToken);
        return await AfterCommitAsync(request, accepted, unfinished);
    }

    /// <summary>
    /// Fires a cron's due tick exactly once: in one transaction, moves the cron's <c>next_run_date</c> from
    /// <paramref name="due"/> to <paramref name="next"/> with a conditional <c>UPDATE ... WHERE next_run_date = due</c>
    /// and accepts the tick's run (<see cref="AcceptAsync"/>'s rules, the tenant's limit included). Only one caller's
    /// update matches, so a tick fires once however many workers try.
    /// </summary>
    /// <param name="cronId">The cron.</param>
    /// <param name="due">The tick's <c>next_run_date</c> as read (the claim token).</param>
    /// <param name="next">The tick after it, or null when the schedule has ended.</param>
    /// <param name="request">The tick's run (<see cref="RunAcceptance.TenantId"/> is the cron's).</param>
    /// <param name="cancellationToken">Cancels the firing (nothing is written then).</param>
    /// <returns>
    /// Null when another worker fired the tick. Otherwise the decision: a refused run consumes the tick (a busy thread
    /// under <c>reject</c>, a missing thread or assistant, an invalid budget), except
    /// <see cref="RunAcceptanceOutcome.TooManyRuns"/>, which leaves the tick due, so it fires once the tenant is under
    /// its limit again (like a tick missed while the workers were down).
    /// </returns>
    public async Task<RunAccepted?> AcceptCronTickAsync(
        Guid cronId, DateTimeOffset? due, DateTimeOffset? next, RunAcceptance request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request.TenantId);
        var now = timeProvider.GetUtcNow();
        await using var transaction = await context.Database.BeginTransactionAsync(cancellationToken);
        var claimed = await context.Crons
            .Where(c => c.CronId == cronId && c.Enabled && c.NextRunDate == due)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.NextRunDate, next).SetProperty(c => c.UpdatedAt, now), cancellationToken);
        if (claimed == 0)
        {
            // Another replica fired this tick (or the cron changed meanwhile).
            return null;
        }

        var (accepted, unfinished) = await InsertAsync(request, cancellationToken);
        if (accepted.Outcome == RunAcceptanceOutcome.TooManyRuns)
        {
            await transaction.RollbackAsync(cancellationToken);
            context.ChangeTracker.Clear();
            return accepted;
        }

        await transaction.CommitAsync(cancellationToken);
        context.ChangeTracker.Clear();
        return accepted.Outcome == RunAcceptanceOutcome.Accepted ? await AfterCommitAsync(request, accepted, unfinished) : accepted;
    }

    // Inside the caller's transaction: the tenant's limit, the thread lock, the strategy, the insert.
    private async Task<(RunAccepted Accepted, List<AgentRun> Unfinished)> InsertAsync(RunAcceptance request, CancellationToken cancellationToken)
    {
        var tenant = request.TenantId!;
        var assistant = await context.Assistants.AsNoTracking().SingleOrDefaultAsync(a => a.AssistantId == request.AssistantId, cancellationToken);
        if (assistant is null)
        {
            return (new RunAccepted(RunAcceptanceOutcome.AssistantNotFound), []);
        }

        // A run may lower its assistant's budget, never raise it (the worker enforces the combination).
        var assistantConfig = JsonNode.Parse(assistant.Config);
        var (_, budgetError) = RunBudget.Resolve(assistantConfig, request.Kwargs["config"]);
        if (budgetError is not null)
        {
            return (new RunAccepted(RunAcceptanceOutcome.InvalidBudget, Detail: budgetError), []);
        }

        var now = timeProvider.GetUtcNow();
        if (request.MaxConcurrentRuns > 0)
        {
            await context.Database.ExecuteSqlAsync(
                $"SELECT pg_advisory_xact_lock(hashtextextended({"agent.tenant-runs:" + tenant}, 0))", cancellationToken);
            var running = await context.Runs.CountAsync(r => r.TenantId == tenant && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running), cancellationToken);
            if (running >= request.MaxConcurrentRuns)
            {
                var detail = $"This tenant has {running} runs pending or running; at most {request.MaxConcurrentRuns} are allowed at once. " +
                             "Retry when some have ended.";
                return (new RunAccepted(RunAcceptanceOutcome.TooManyRuns, Detail: detail), []);
            }
        }

        AgentThread? thread = null;
        if (request.ThreadId is { } id)
        {
            thread = await LockThreadAsync(tenant, id, tracked: true, cancellationToken);
            if (thread is null && !request.CreateThreadIfMissing)
            {
                return (new RunAccepted(RunAcceptanceOutcome.ThreadNotFound), []);
            }
        }

        if (request.CheckpointId is { } checkpointId
            && (thread is null || !await context.Checkpoints.AnyAsync(
                c => c.TenantId == tenant && c.ThreadId == thread.ThreadId && c.CheckpointId == checkpointId, cancellationToken)))
        {
            return (new RunAccepted(RunAcceptanceOutcome.CheckpointNotFound), []);
        }

        List<AgentRun> unfinished = [];
        if (thread is null)
        {
            thread = new AgentThread { TenantId = tenant, ThreadId = request.ThreadId ?? Guid.CreateVersion7(), CreatedAt = now, UpdatedAt = now };
            context.Threads.Add(thread);
        }
        else
        {
            unfinished = await context.Runs.AsNoTracking().Where(
                    r => r.TenantId == tenant && r.ThreadId == thread.ThreadId
                         && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running))
                .OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
            if (unfinished.Count > 0 && request.MultitaskStrategy == MultitaskStrategy.Reject)
            {
                return (new RunAccepted(RunAcceptanceOutcome.ThreadBusy), []);
            }
        }

        // LangGraph stamps graph_id and assistant_id on the thread; agent-chat-ui lists threads by them.
        var metadata = JsonNode.Parse(thread.Metadata) as JsonObject ?? [];
        metadata["graph_id"] = assistant.GraphId;
        metadata["assistant_id"] = assistant.AssistantId.ToString();
        foreach (var (stampKey, value) in request.ThreadStamps ?? new Dictionary<string, string>())
        {
            metadata[stampKey] = value;
        }

        thread.Metadata = metadata.ToJsonString();
        thread.Status = AgentThreadStatus.Busy;
        thread.UpdatedAt = now;

        // The assistant's config is what its runs use: its recursion_limit unless the run sets one.
        var recursionLimit = request.RecursionLimit;
        var kwargs = (JsonObject)request.Kwargs.DeepClone();
        if (!request.RecursionLimitGiven && assistantConfig?["recursion_limit"] is JsonValue limit && limit.TryGetValue<int>(out var fromAssistant))
        {
            recursionLimit = fromAssistant;
            kwargs["config"] ??= new JsonObject();
            kwargs["config"]!["recursion_limit"] = fromAssistant;
        }

        var run = new AgentRun
        {
            RunId = Guid.CreateVersion7(),
            TenantId = tenant,
            ThreadId = thread.ThreadId,
            AssistantId = assistant.AssistantId,
            Status = RunStateMachine.Accepted,
            Metadata = request.Metadata,
            Kwargs = kwargs.ToJsonString(),
            MultitaskStrategy = request.MultitaskStrategy,
            RecursionLimit = recursionLimit,
            DeleteThreadOnCompletion = request.DeleteThreadOnCompletion,
            IdempotencyKey = request.IdempotencyKey,
            StartAfter = request.StartDelay is { } delay ? now + delay : null,
            Queue = RunQueueName.Resolve(kwargs["config"], assistantConfig),
            CreatedAt = now,
            UpdatedAt = now,
        };
        context.Runs.Add(run);
        await context.SaveChangesAsync(cancellationToken);
        return (new RunAccepted(RunAcceptanceOutcome.Accepted, run), unfinished);
    }

    private async Task<RunAccepted> AfterCommitAsync(RunAcceptance request, RunAccepted accepted, List<AgentRun> unfinished)
    {
        context.ChangeTracker.Clear();
        List<AgentRun> cancelRequested = [];
        if (request.CancelsWith is { } action)
        {
            // After the commit, not inside it: a worker committing a step locks its run row and then the thread's key,
            // the reverse of this transaction's order, so cancelling in here could deadlock. Pending runs end at once
            // (before the new run is sent, so its claim finds the thread free); running ones stop at their worker's
            // next await, and that worker then starts the next queued run, this one.
            foreach (var old in unfinished)
            {
                if (await CancelAsync(old, action, CancellationToken.None) == RunCancelOutcome.Requested)
                {
                    cancelRequested.Add(old);
                }
            }
        }

        return accepted with { CancelRequested = cancelRequested, CancelAction = request.CancelsWith };
    }

    /// <summary>
    /// Locks a thread's row (<c>FOR UPDATE</c>) inside the caller's transaction: run acceptance and state updates take
    /// this lock, so a <c>reject</c> check or a "no run in flight" check cannot race another submission.
    /// </summary>
    /// <param name="tenantId">The thread's tenant.</param>
    /// <param name="threadId">The thread.</param>
    /// <param name="tracked">Whether the returned entity is tracked (to be updated by <c>SaveChanges</c>).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The thread, or null when it does not exist.</returns>
    public Task<AgentThread?> LockThreadAsync(string tenantId, Guid threadId, bool tracked, CancellationToken cancellationToken)
    {
        var query = context.Threads.FromSql($"SELECT * FROM agent.threads WHERE tenant_id = {tenantId} AND thread_id = {threadId} FOR UPDATE");
        return (tracked ? query : query.AsNoTracking()).SingleOrDefaultAsync(cancellationToken);
    }
}
