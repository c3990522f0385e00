using Agent.Api.Http;
using Agent.Contracts.Runs;
using Agent.Persistence.Assistants;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Webhooks;
using Microsoft.Extensions.Options;

namespace Agent.Api.Runs;

/// <summary>
/// Submits runs for the API: checks the webhook, has <see cref="RunLifecycle.AcceptAsync"/> accept the run (the
/// assistant, the budget, the tenant's limit, the thread and its multitask strategy), maps its refusals to HTTP
/// problems (a run naming a queue the API does not accept is a 422, see <see cref="AcceptedRunQueues"/>), then sends <see cref="StartAgentRun"/> through <see cref="RunDispatcher"/>. The row is committed first,
/// so a failed send never loses an accepted run.
/// </summary>
internal sealed partial class RunSubmitter(
    RunLifecycle lifecycle, RunDispatcher dispatcher, ICallerTenant caller, IConfiguration configuration, IOptions<ApiLimits> limits,
    AcceptedRunQueues queues, ILogger<RunSubmitter> logger)
{
    /// <summary>
    /// The <c>Retry-After</c> of a submission refused by the concurrent-runs limit, in seconds: a guess at when a run
    /// may have ended. 5.
    /// </summary>
    public const int ConcurrentRunsRetryAfterSeconds = 5;

    /// <summary>The 409 detail of multitask <c>reject</c>, verbatim from LangGraph Server (<c>langgraph_api/models/run.py</c>).</summary>
    public const string ThreadBusyDetail =
        "Thread is already running a task. Wait for it to finish or choose a different multitask strategy.";

    /// <summary>
    /// Creates a run (<see cref="RunLifecycle.AcceptAsync"/>), or, when <paramref name="idempotencyKey"/> was already
    /// used, returns the run created then (a client's retry after a lost response must not start the run twice); then
    /// sends its <see cref="StartAgentRun"/> (<see cref="RunDispatcher"/>) unless it is delayed.
    /// </summary>
    /// <param name="threadId">The thread, or null for a stateless run (a new thread is created).</param>
    /// <param name="request">The validated request.</param>
    /// <param name="idempotencyKey">The client's <c>Idempotency-Key</c>, or null.</param>
    /// <param name="cancellationToken">Cancels the submission.</param>
    /// <returns>The run, or a 404/409/422/429 result (409 also when the key was used for a run on another thread).</returns>
    /// <remarks>
    /// 429 with <c>Retry-After</c> for the tenant's concurrent-runs limit, not 409: the limit is a quota that frees
    /// itself as runs end, which is what 429 means (RFC 6585 section 4), and nothing was created, so the LangGraph
    /// SDKs' automatic retry of 429 (they do not retry 409) cannot duplicate a run. 409 stays what LangGraph uses it
    /// for: a conflict with the thread's own state (multitask <c>reject</c>).
    /// </remarks>
    public async Task<(AgentRun? Run, IResult? Error)> SubmitAsync(
        Guid? threadId, RunRequest request, string? idempotencyKey, CancellationToken cancellationToken)
    {
        var tenant = caller.TenantId ?? "";
        if (idempotencyKey is not null && await lifecycle.FindByIdempotencyKeyAsync(tenant, idempotencyKey, cancellationToken) is { } earlier)
        {
            return threadId is { } id && earlier.ThreadId != id ? (null, IdempotencyKeyConflict()) : (earlier, null);
        }

        if (request.Kwargs["config"]?["configurable"] is System.Text.Json.Nodes.JsonObject configurable
            && RunQueueName.ConfigError(configurable, queues.Names) is { } queueError)
        {
            return (null, ApiResults.Unprocessable(queueError));
        }

        if (await CheckWebhookAsync(request, cancellationToken) is { } refused)
        {
            return (null, refused);
        }

        var accepted = await lifecycle.AcceptAsync(
            new RunAcceptance
            {
                TenantId = caller.TenantId,
                ThreadId = threadId,
                CreateThreadIfMissing = request.CreateThreadIfMissing,
                AssistantId = AssistantIdOf(request.AssistantId),
                CheckpointId = request.CheckpointId,
                Kwargs = request.Kwargs,
                Metadata = request.Metadata.ToJsonString(),
                MultitaskStrategy = request.MultitaskStrategy,
                RecursionLimit = request.RecursionLimit,
                RecursionLimitGiven = request.RecursionLimitGiven,
                DeleteThreadOnCompletion = request.DeleteThreadOnCompletion,
                IdempotencyKey = idempotencyKey,
                StartDelay = request.StartDelay,
                MaxConcurrentRuns = limits.Value.MaxConcurrentRunsPerTenant,
            },
            cancellationToken);
        var run = accepted.Run;
        switch (accepted.Outcome)
        {
            case RunAcceptanceOutcome.Replayed:
                return (run, null);
            case RunAcceptanceOutcome.IdempotencyKeyConflict:
                return (null, IdempotencyKeyConflict());
            case RunAcceptanceOutcome.AssistantNotFound:
                return (null, LangGraphErrors.ThreadOrAssistantNotFound);
            case RunAcceptanceOutcome.InvalidBudget:
                return (null, ApiResults.Unprocessable(accepted.Detail!));
            case RunAcceptanceOutcome.TooManyRuns:
                return (null, ApiResults.TooManyRequests(accepted.Detail!, ConcurrentRunsRetryAfterSeconds));
            case RunAcceptanceOutcome.ThreadNotFound:
                return (null, LangGraphErrors.ThreadOrAssistantNotFound);
            case RunAcceptanceOutcome.CheckpointNotFound:
                return (null, ApiResults.NotFound($"Checkpoint {request.CheckpointId} not found on thread {threadId}."));
            case RunAcceptanceOutcome.ThreadBusy:
                return (null, ApiResults.Problem(StatusCodes.Status409Conflict, ThreadBusyDetail));
        }

        using var scope = logger.BeginScope(new Dictionary<string, object> { ["run_id"] = run!.RunId, ["thread_id"] = run.ThreadId });
        foreach (var stopping in accepted.CancelRequested ?? [])
        {
            await dispatcher.FanOutCancelAsync(stopping.RunId, accepted.CancelAction ?? CancelAction.Interrupt, CancellationToken.None);
        }

        if (run.StartAfter is not null)
        {
            // after_seconds: the worker's releaser sends it when due; a worker never claims it before.
            LogDelayed(logger, run.RunId, run.StartAfter.Value);
            return (run, null);
        }

        // The run is committed: if the send fails the client still gets it, and the sweeper sends it.
        if (await dispatcher.TryDispatchAsync(run.RunId, run.ThreadId, run.Queue, messageId: null, cancellationToken))
        {
            LogAccepted(logger, run.RunId, run.ThreadId);
        }

        return (run, null);
    }

    private static IResult IdempotencyKeyConflict() =>
        ApiResults.Problem(StatusCodes.Status409Conflict, "This Idempotency-Key was already used for a run on another thread.");

    // A UUID, or a graph's system assistant by graph name; anything else matches no assistant.
    private static Guid AssistantIdOf(string assistantId) => SystemAssistants.IdOf(assistantId);

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} accepted on thread {ThreadId}")]
    private static partial void LogAccepted(ILogger logger, Guid runId, Guid threadId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} accepted; it may start at {StartAfter}")]
    private static partial void LogDelayed(ILogger logger, Guid runId, DateTimeOffset startAfter);
}
