using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Contracts.Runs;
using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Agent.Persistence.Webhooks;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Microsoft.Extensions.Options;

namespace Agent.Api.Runs;

/// <summary>
/// Accepts runs: validates the assistant and thread, applies the multitask strategy, commits the run
/// <c>pending</c>, then sends <see cref="StartAgentRun"/> to the run queue. The row is committed first, so a failed
/// send never loses an accepted run.
/// </summary>
internal sealed partial class RunSubmitter(
    AgentDbContext db, ISendEndpointProvider sendEndpoints, RunCanceller canceller, IConfiguration configuration,
    TimeProvider timeProvider, IOptions<ApiLimits> limits, ILogger<RunSubmitter> logger)
{
    /// <summary>
    /// The <c>Retry-After</c> of a submission refused by the concurrent-runs limit, in seconds: a guess at when a run
    /// may have ended. 5.
    /// </summary>
    public const int ConcurrentRunsRetryAfterSeconds = 5;

    /// <summary>The 409 detail of multitask <c>reject</c>, verbatim from LangGraph Server (<c>langgraph_api/models/run.py</c>).</summary>
    public const string ThreadBusyDetail =
        "Thread is already running a task. Wait for it to finish or choose a different multitask strategy.";

    /// <summary>How long the send of <see cref="StartAgentRun"/> may take; the sweeper sends a run whose send failed.</summary>
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Creates a run, or, when <paramref name="idempotencyKey"/> was already used, returns the run created then (a
    /// client's retry after a lost response must not start the run twice).
    /// </summary>
    /// <param name="threadId">The thread, or null for a stateless run (a new thread is created).</param>
    /// <param name="request">The validated request.</param>
    /// <param name="idempotencyKey">The client's <c>Idempotency-Key</c>, or null.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>The run, or a 404/409 result (409 also when the key was used for a run on another thread).</returns>
    /// <remarks>
    /// Multitask strategies (reference section 6): <c>reject</c> refuses while a run of the thread is pending or
    /// running (409); <c>enqueue</c> queues behind them (a worker starts a run only when no older run of its thread
    /// is unfinished); <c>interrupt</c> and <c>rollback</c> queue the new run and then cancel the unfinished ones with
    /// that action: pending ones at once, running ones by their worker at its next await.
    /// </remarks>
    public async Task<(AgentRun? Run, IResult? Error)> SubmitAsync(
        Guid? threadId, RunRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        if (idempotencyKey is not null && await FindByIdempotencyKeyAsync(idempotencyKey, cancellationToken) is { } earlier)
        {
            return Replay(earlier, threadId);
        }

        try
        {
            return await CreateAsync(threadId, request, idempotencyKey, cancellationToken);
        }
        catch (DbUpdateException ex) when (idempotencyKey is not null
                                           && ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique
                                           && unique.ConstraintName == IdempotencyKeyIndex)
        {
            // A concurrent request with the same key won the insert: answer with its run.
            db.ChangeTracker.Clear();
            var winner = await FindByIdempotencyKeyAsync(idempotencyKey, cancellationToken);
            return winner is null ? throw new InvalidOperationException("The run of a used Idempotency-Key vanished.", ex) : Replay(winner, threadId);
        }
    }

    private const string IdempotencyKeyIndex = "ux_runs_tenant_id_idempotency_key";

    private static (AgentRun? Run, IResult? Error) Replay(AgentRun earlier, Guid? threadId) =>
        threadId is { } id && earlier.ThreadId != id
            ? (null, ApiResults.Problem(StatusCodes.Status409Conflict, "This Idempotency-Key was already used for a run on another thread."))
            : (earlier, null);

    private Task<AgentRun?> FindByIdempotencyKeyAsync(string idempotencyKey, CancellationToken cancellationToken) =>
        db.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.IdempotencyKey == idempotencyKey, cancellationToken);

    private async Task<(AgentRun? Run, IResult? Error)> CreateAsync(
        Guid? threadId, RunRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var assistant = await ResolveAssistantAsync(request.AssistantId, cancellationToken);
        if (assistant is null)
        {
            return (null, ApiResults.NotFound($"Assistant '{ApiRequest.Truncate(request.AssistantId)}' not found."));
        }

        // A run may lower its assistant's budget, never raise it (the worker enforces the combination).
        var (_, budgetError) = RunBudget.Resolve(System.Text.Json.Nodes.JsonNode.Parse(assistant.Config), request.Kwargs["config"]);
        if (budgetError is not null)
        {
            return (null, ApiResults.Unprocessable(budgetError));
        }

        if (await CheckWebhookAsync(request, cancellationToken) is { } refused)
        {
            return (null, refused);
        }

        var now = timeProvider.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await CheckConcurrentRunsAsync(cancellationToken) is { } tooMany)
        {
            return (null, tooMany);
        }

        AgentThread? thread = null;
        if (threadId is { } id)
        {
            // FOR UPDATE serialises run creation per thread, so two "reject" submissions cannot both get in.
            thread = await db.Threads.FromSql($"SELECT * FROM agent.threads WHERE tenant_id = {db.TenantId} AND thread_id = {id} FOR UPDATE")
                .SingleOrDefaultAsync(cancellationToken);
            if (thread is null && !request.CreateThreadIfMissing)
            {
                return (null, ApiResults.NotFound($"Thread {id} not found."));
            }
        }

        if (request.CheckpointId is { } checkpointId
            && (thread is null || !await db.Checkpoints.AnyAsync(c => c.ThreadId == thread.ThreadId && c.CheckpointId == checkpointId, cancellationToken)))
        {
            return (null, ApiResults.NotFound($"Checkpoint {checkpointId} not found on thread {threadId}."));
        }

        List<AgentRun> unfinished = [];
        if (thread is null)
        {
            thread = new AgentThread { ThreadId = threadId ?? Guid.CreateVersion7(), CreatedAt = now, UpdatedAt = now };
            db.Threads.Add(thread);
        }
        else
        {
            unfinished = await db.Runs.AsNoTracking().Where(
                    r => r.ThreadId == thread.ThreadId && (r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running))
                .OrderBy(r => r.CreatedAt).ToListAsync(cancellationToken);
            if (unfinished.Count > 0 && request.MultitaskStrategy == MultitaskStrategy.Reject)
            {
                return (null, ApiResults.Problem(StatusCodes.Status409Conflict, ThreadBusyDetail));
            }
        }

        // LangGraph stamps graph_id and assistant_id on the thread; agent-chat-ui lists threads by them.
        var metadata = JsonNode.Parse(thread.Metadata) as JsonObject ?? [];
        metadata["graph_id"] = assistant.GraphId;
        metadata["assistant_id"] = assistant.AssistantId.ToString();
        thread.Metadata = metadata.ToJsonString();
        thread.Status = AgentThreadStatus.Busy;
        thread.UpdatedAt = now;

        // The assistant's config is what its runs use: its recursion_limit unless the run sets one.
        var recursionLimit = request.RecursionLimit;
        var kwargs = (JsonObject)request.Kwargs.DeepClone();
        if (!request.RecursionLimitGiven && JsonNode.Parse(assistant.Config)?["recursion_limit"] is JsonValue limit && limit.TryGetValue<int>(out var fromAssistant))
        {
            recursionLimit = fromAssistant;
            kwargs["config"]!["recursion_limit"] = fromAssistant;
        }

        var run = new AgentRun
        {
            RunId = Guid.CreateVersion7(),
            ThreadId = thread.ThreadId,
            AssistantId = assistant.AssistantId,
            Status = AgentRunStatus.Pending,
            Metadata = request.Metadata.ToJsonString(),
            Kwargs = kwargs.ToJsonString(),
            MultitaskStrategy = request.MultitaskStrategy,
            RecursionLimit = recursionLimit,
            DeleteThreadOnCompletion = request.DeleteThreadOnCompletion,
            IdempotencyKey = idempotencyKey,
            StartAfter = request.StartDelay is { } delay ? now + delay : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();

        using var scope = logger.BeginScope(new Dictionary<string, object> { ["run_id"] = run.RunId, ["thread_id"] = run.ThreadId });
        if (request.MultitaskStrategy is MultitaskStrategy.Interrupt or MultitaskStrategy.Rollback)
        {
            // After the commit, not inside it: a worker committing a step locks its run row and then the thread's key,
            // the reverse of this transaction's order, so cancelling in here could deadlock. Pending runs end at once
            // (before the new run is sent, so its claim finds the thread free); running ones stop at their worker's
            // next await, and that worker then starts the next queued run, this one.
            foreach (var old in unfinished)
            {
                await canceller.CancelAsync(
                    old, request.MultitaskStrategy == MultitaskStrategy.Rollback ? CancelAction.Rollback : CancelAction.Interrupt, CancellationToken.None);
            }
        }

        if (run.StartAfter is not null)
        {
            // after_seconds: the worker's scheduler sends it when due; a worker never claims it before.
            LogDelayed(logger, run.RunId, run.StartAfter.Value);
            return (run, null);
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(SendTimeout);
            var endpoint = await sendEndpoints.GetSendEndpoint(new Uri("queue:" + (configuration[AgentRunQueues.RunsSettingKey] ?? AgentRunQueues.Runs)));
            await endpoint.Send(new StartAgentRun { RunId = run.RunId, ThreadId = run.ThreadId, RequestedAt = now }, timeout.Token);
            LogAccepted(logger, run.RunId, run.ThreadId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The run is committed: the client gets it, and the sweeper sends it once the broker is back.
            LogSendFailed(logger, ex, run.RunId);
        }

        return (run, null);
    }

    /// <summary>
    /// Applies <see cref="ApiLimits.MaxConcurrentRunsPerTenant"/> inside the submission's transaction. A transaction
    /// advisory lock per tenant serialises the count-then-insert of concurrent submissions of one tenant (across API
    /// replicas), so the limit is exact; other tenants are not held up.
    /// </summary>
    /// <remarks>
    /// 429 with <c>Retry-After</c>, not 409: the limit is a quota that frees itself as runs end, which is what 429
    /// means (RFC 6585 section 4), and nothing was created, so the LangGraph SDKs' automatic retry of 429 (they do
    /// not retry 409) cannot duplicate a run. 409 stays what LangGraph uses it for: a conflict with the thread's own
    /// state (multitask <c>reject</c>).
    /// </remarks>
    private async Task<IResult?> CheckConcurrentRunsAsync(CancellationToken cancellationToken)
    {
        var max = limits.Value.MaxConcurrentRunsPerTenant;
        if (max <= 0)
        {
            return null;
        }

        var tenant = db.TenantId ?? "";
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"agent.tenant-runs:" + tenant}, 0))", cancellationToken);
        var unfinished = await db.Runs.CountAsync(r => r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running, cancellationToken);
        if (unfinished < max)
        {
            return null;
        }

        return ApiResults.TooManyRequests(
            $"This tenant has {unfinished} runs pending or running; at most {max} are allowed at once. Retry when some have ended.",
            ConcurrentRunsRetryAfterSeconds);
    }

    /// <summary>
    /// Checks a request's webhook target: a host that is (or resolves to) a private, loopback or link-local address is
    /// refused unless <c>Webhooks:AllowPrivateNetworks</c> is true (the worker checks again when it connects).
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the DNS resolution.</param>
    /// <returns>A 422 result, or null when the webhook (if any) may be used.</returns>
    public async Task<IResult?> CheckWebhookAsync(RunRequest request, CancellationToken cancellationToken)
    {
        if (request.Webhook is null)
        {
            return null;
        }

        var allowPrivate = configuration.GetValue<bool>(WebhookAddresses.AllowPrivateNetworksKey);
        var refused = await WebhookAddresses.CheckAsync(request.Webhook, allowPrivate, cancellationToken);
        return refused is null ? null : ApiResults.Unprocessable(refused);
    }

    /// <summary>Finds an assistant by id, or a graph's system assistant by graph name.</summary>
    /// <param name="assistantId">A UUID or a graph id.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The assistant, or null.</returns>
    public async Task<Assistant?> ResolveAssistantAsync(string assistantId, CancellationToken cancellationToken)
    {
        var id = Guid.TryParse(assistantId, out var parsed)
            ? parsed
            : SystemAssistants.GraphIds.Contains(assistantId) ? SystemAssistants.IdFor(assistantId) : Guid.Empty;
        return id == Guid.Empty
            ? null
            : await db.Assistants.AsNoTracking().SingleOrDefaultAsync(a => a.AssistantId == id, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} accepted on thread {ThreadId}")]
    private static partial void LogAccepted(ILogger logger, Guid runId, Guid threadId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} accepted; it may start at {StartAfter}")]
    private static partial void LogDelayed(ILogger logger, Guid runId, DateTimeOffset startAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} is committed but StartAgentRun could not be sent")]
    private static partial void LogSendFailed(ILogger logger, Exception exception, Guid runId);
}
