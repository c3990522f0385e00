using System.Text.Json.Nodes;
using Agent.Persistence.Runs;

namespace Agent.Api.Monitoring;

/// <summary>A run as the console lists it (<c>GET /monitoring/runs</c>); times UTC, durations ms, cost USD.</summary>
/// <param name="RunId">The run.</param>
/// <param name="ThreadId">Its thread.</param>
/// <param name="AssistantId">Its assistant.</param>
/// <param name="Status">Its status.</param>
/// <param name="Parked">Whether it is pending only because it waits out a transient failure until <paramref name="NextAttemptAt"/>.</param>
/// <param name="CreatedAt">When it was accepted.</param>
/// <param name="StartedAt">When a worker first claimed it, or null.</param>
/// <param name="EndedAt">When it ended, or null.</param>
/// <param name="DurationMs">From creation to its end (or to now while it runs), in ms.</param>
/// <param name="StepCount">Committed steps.</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CostUsd">Cost in USD.</param>
/// <param name="Attempt">Claims so far (2 or more: taken over after a crash, a drain or a retry wait).</param>
/// <param name="RetryCount">Retry waits so far.</param>
/// <param name="LeaseOwner">The worker holding it, or null.</param>
/// <param name="NextAttemptAt">When a parked run is due, or null.</param>
/// <param name="Error">Its error object (<c>{error, message, ...}</c>), or null.</param>
/// <param name="Input">The last human message of its input (at most 200 characters), or null.</param>
internal sealed record MonitoredRun(
    Guid RunId,
    Guid ThreadId,
    Guid AssistantId,
    AgentRunStatus Status,
    bool Parked,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    double DurationMs,
    int StepCount,
    long InputTokens,
    long OutputTokens,
    decimal CostUsd,
    int Attempt,
    int RetryCount,
    string? LeaseOwner,
    DateTimeOffset? NextAttemptAt,
    JsonNode? Error,
    string? Input);

/// <summary>The run list.</summary>
/// <param name="Runs">The runs, newest first.</param>
internal sealed record MonitoredRunList(IReadOnlyList<MonitoredRun> Runs);

/// <summary>One claim of a run: a change of its lease epoch.</summary>
/// <param name="Epoch">The fencing epoch the claim set.</param>
/// <param name="Owner">The worker that claimed it.</param>
/// <param name="PreviousOwner">The worker whose lease it replaced (a crashed or fenced worker), or null.</param>
/// <param name="Attempt">The attempt number.</param>
/// <param name="StepCount">Steps already committed when claimed: the new owner resumes after them.</param>
/// <param name="ClaimedAt">When.</param>
/// <param name="Recovery">Whether this claim took the run over after an earlier one (epoch above 1).</param>
internal sealed record MonitoredLease(long Epoch, string? Owner, string? PreviousOwner, int Attempt, int StepCount, DateTimeOffset ClaimedAt, bool Recovery);

/// <summary>One stored run event (see <c>RunEventKinds</c> for the shapes of <paramref name="Data"/>).</summary>
/// <param name="Sequence">Its sequence number (the SSE id).</param>
/// <param name="Kind"><c>step</c> or <c>status</c>.</param>
/// <param name="CreatedAt">When it was committed.</param>
/// <param name="Data">Its payload.</param>
internal sealed record MonitoredEvent(long Sequence, string Kind, DateTimeOffset CreatedAt, JsonNode? Data);

/// <summary>One model call with its usage and cost.</summary>
/// <param name="Step">The step that made it.</param>
/// <param name="Provider">The provider.</param>
/// <param name="Model">The model.</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CachedInputTokens">Cached input tokens, or null.</param>
/// <param name="LatencyMs">Latency in ms.</param>
/// <param name="FinishReason">The finish reason, or null.</param>
/// <param name="CostUsd">Cost in USD, or null when unpriced.</param>
/// <param name="CreatedAt">When its step was committed.</param>
internal sealed record MonitoredModelCall(
    int Step, string Provider, string Model, long InputTokens, long OutputTokens, long? CachedInputTokens, double LatencyMs,
    string? FinishReason, decimal? CostUsd, DateTimeOffset CreatedAt);

/// <summary>A run's page (<c>GET /monitoring/runs/{run_id}</c>).</summary>
/// <param name="Run">The run.</param>
/// <param name="Leases">Its claims, oldest first.</param>
/// <param name="Events">Its events in order.</param>
/// <param name="ModelCalls">Its model calls in step order.</param>
internal sealed record MonitoredRunDetail(MonitoredRun Run, IReadOnlyList<MonitoredLease> Leases, IReadOnlyList<MonitoredEvent> Events, IReadOnlyList<MonitoredModelCall> ModelCalls);

/// <summary>The caller's unfinished runs by state.</summary>
/// <param name="Pending">Waiting for a worker.</param>
/// <param name="Running">Held by a worker.</param>
/// <param name="Parked">Waiting out a transient failure.</param>
internal sealed record MonitoredRunCounts(int Pending, int Running, int Parked);

/// <summary>A worker as it last reported itself.</summary>
/// <param name="InstanceId">Its instance id (its lease owner name).</param>
/// <param name="Host">Its host.</param>
/// <param name="ProcessId">Its process id.</param>
/// <param name="Slots">Its slots.</param>
/// <param name="BusySlots">Slots executing a run.</param>
/// <param name="Draining">Whether it is stopping.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="ReportedAt">When it last reported.</param>
/// <param name="Stale">Whether the report is older than three report periods (the worker stopped or died).</param>
internal sealed record MonitoredWorker(
    string InstanceId, string Host, int ProcessId, int Slots, int BusySlots, bool Draining, DateTimeOffset StartedAt, DateTimeOffset ReportedAt, bool Stale);

/// <summary>The run queue as the freshest worker report saw it.</summary>
/// <param name="Name">The queue.</param>
/// <param name="Depth">Messages ready (runs waiting for a slot), or null when not read.</param>
/// <param name="Consumers">Consumers (worker processes), or null when not read.</param>
/// <param name="ReportedAt">When it was read.</param>
internal sealed record MonitoredQueue(string Name, long? Depth, long? Consumers, DateTimeOffset ReportedAt);

/// <summary>A provider rate limit's shared state.</summary>
/// <param name="Key"><c>{provider}:{model}</c>.</param>
/// <param name="RequestsAheadMs">How far the request limit's theoretical arrival time is ahead of now, in ms (0: idle).</param>
/// <param name="TokensAheadMs">How far the token limit's theoretical arrival time is ahead of now, in ms (0: idle).</param>
internal sealed record MonitoredRateLimit(string Key, double RequestsAheadMs, double TokensAheadMs);

/// <summary>The system page (<c>GET /monitoring/system</c>).</summary>
/// <param name="Runs">The caller's unfinished runs.</param>
/// <param name="Queue">The run queue, or null when no worker has reported.</param>
/// <param name="Workers">The workers, freshest report first.</param>
/// <param name="RateLimits">The providers' rate limits.</param>
internal sealed record MonitoredSystem(MonitoredRunCounts Runs, MonitoredQueue? Queue, IReadOnlyList<MonitoredWorker> Workers, IReadOnlyList<MonitoredRateLimit> RateLimits);
