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

namespace Agent.Api.Runs;

/// <summary>
/// Accepts runs: validates the assistant and thread, applies the multitask strategy, commits the run
/// <c>pending</c>, then sends <see cref="StartAgentRun"/> to the run queue. The row is committed first, so a failed
/// send never loses an accepted run.
/// </summary>
internal sealed partial class RunSubmitter(
    AgentDbContext db, ISendEndpointProvider sendEndpoints, RunCanceller canceller, IConfiguration configuration,
    TimeProvider timeProvider, ILogger<RunSubmitter> logger)
{
    /// <summary>The 409 detail of multitask <c>reject</c>, verbatim from LangGraph Server (<c>langgraph_api/models/run.py</c>).</summary>
    public const string ThreadBusyDetail =
        "Thread is already running a task. Wait for it to finish or choose a different multitask strategy.";

    /// <summary>Creates a run.</summary>
    /// <param name="threadId">The thread, or null for a stateless run (a new thread is created).</param>
    /// <param name="request">The validated request.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>The run, or a 404/409 result.</returns>
    /// <remarks>
    /// Multitask strategies (reference section 6): <c>reject</c> refuses while a run of the thread is pending or
    /// running (409); <c>enqueue</c> queues behind them (a worker starts a run only when no older run of its thread
    /// is unfinished); <c>interrupt</c> and <c>rollback</c> queue the new run and then cancel the unfinished ones with
    /// that action: pending ones at once, running ones by their worker at its next await.
    /// </remarks>
    public async Task<(AgentRun? Run, IResult? Error)> SubmitAsync(Guid? threadId, RunRequest request, CancellationToken cancellationToken)
    {
        var assistant = await ResolveAssistantAsync(request.AssistantId, cancellationToken);
        if (assistant is null)
        {
            return (null, ApiResults.NotFound($"Assistant '{ApiRequest.Truncate(request.AssistantId)}' not found."));
        }

        if (await CheckWebhookAsync(request, cancellationToken) is { } refused)
        {
            return (null, refused);
        }

        var now = timeProvider.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
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
            if (unfinished.Count > 0 && request.MultitaskStrategy == "reject")
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
            StartAfter = request.StartDelay is { } delay ? now + delay : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        db.ChangeTracker.Clear();

        using var scope = logger.BeginScope(new Dictionary<string, object> { ["run_id"] = run.RunId, ["thread_id"] = run.ThreadId });
        if (request.MultitaskStrategy is "interrupt" or "rollback")
        {
            // After the commit, not inside it: a worker committing a step locks its run row and then the thread's key,
            // the reverse of this transaction's order, so cancelling in here could deadlock. Pending runs end at once
            // (before the new run is sent, so its claim finds the thread free); running ones stop at their worker's
            // next await, and that worker then starts the next queued run, this one.
            foreach (var old in unfinished)
            {
                await canceller.CancelAsync(old, request.MultitaskStrategy, CancellationToken.None);
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
            var endpoint = await sendEndpoints.GetSendEndpoint(new Uri("queue:" + (configuration[AgentRunQueues.RunsSettingKey] ?? AgentRunQueues.Runs)));
            await endpoint.Send(new StartAgentRun { RunId = run.RunId, ThreadId = run.ThreadId, RequestedAt = now }, cancellationToken);
            LogAccepted(logger, run.RunId, run.ThreadId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The run is committed: the client gets it, and it is republished once the broker is back.
            LogSendFailed(logger, ex, run.RunId);
        }

        return (run, null);
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
