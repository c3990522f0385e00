namespace Agent.Persistence.Crons;

/// <summary>The filters of a cron search or count (LangGraph <c>POST /runs/crons/search</c>); null means "any".</summary>
/// <param name="AssistantId">The assistant, or null.</param>
/// <param name="ThreadId">The thread, or null.</param>
/// <param name="Enabled">Only enabled (true) or disabled (false) crons, or null.</param>
public sealed record CronFilter(Guid? AssistantId, Guid? ThreadId, bool? Enabled);
