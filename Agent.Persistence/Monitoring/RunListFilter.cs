using Agent.Persistence.Runs;

namespace Agent.Persistence.Monitoring;

/// <summary>
/// Selects runs for the console's run list. Every field is optional; the list is newest first.
/// </summary>
/// <param name="Status">Only runs with this status (<c>pending</c>, <c>running</c>, <c>success</c> ...), or null for all.</param>
/// <param name="AssistantId">Only runs of this assistant, or null.</param>
/// <param name="ThreadId">Only runs of this thread, or null.</param>
/// <param name="Since">Only runs created at or after this time (UTC), or null.</param>
/// <param name="Until">Only runs created before this time (UTC), or null.</param>
/// <param name="Limit">The most runs returned (1-500).</param>
public sealed record RunListFilter(AgentRunStatus? Status, Guid? AssistantId, Guid? ThreadId, DateTimeOffset? Since, DateTimeOffset? Until, int Limit);
