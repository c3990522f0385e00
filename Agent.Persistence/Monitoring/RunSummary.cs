using Agent.Persistence.Runs;

namespace Agent.Persistence.Monitoring;

/// <summary>
/// One row of the console's run list: what a run is, how far it got and what it cost.
/// </summary>
/// <param name="RunId">The run.</param>
/// <param name="ThreadId">Its thread.</param>
/// <param name="AssistantId">Its assistant.</param>
/// <param name="Status">Its status; <c>pending</c> with <paramref name="NextAttemptAt"/> set means parked for a retry.</param>
/// <param name="CreatedAt">When it was accepted (UTC).</param>
/// <param name="StartedAt">When a worker first claimed it (UTC), or null.</param>
/// <param name="EndedAt">When it ended (UTC), or null.</param>
/// <param name="StepCount">Committed steps (model calls and tool rounds).</param>
/// <param name="InputTokens">Input tokens of all its model calls.</param>
/// <param name="OutputTokens">Output tokens of all its model calls.</param>
/// <param name="CostUsd">Its cost in USD.</param>
/// <param name="Attempt">How many times a worker claimed it (2 or more: it was recovered or resumed).</param>
/// <param name="RetryCount">How many times it was parked to wait out a transient failure.</param>
/// <param name="LeaseOwner">The worker holding it, or null.</param>
/// <param name="NextAttemptAt">When a parked run becomes due (UTC), or null.</param>
/// <param name="Error">Its error object as JSON text, or null.</param>
/// <param name="Kwargs">What the client submitted (<c>input</c>, <c>config</c> ...) as JSON text.</param>
public sealed record RunSummary(
    Guid RunId,
    Guid ThreadId,
    Guid AssistantId,
    AgentRunStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? EndedAt,
    int StepCount,
    long InputTokens,
    long OutputTokens,
    decimal CostUsd,
    int Attempt,
    int RetryCount,
    string? LeaseOwner,
    DateTimeOffset? NextAttemptAt,
    string? Error,
    string Kwargs);
