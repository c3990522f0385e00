namespace Agent.Persistence.Threads;

/// <summary>The filters of a thread search or count (LangGraph <c>POST /threads/search</c>); null means "any".</summary>
/// <param name="MetadataContains">A JSON object the thread's metadata must contain (jsonb <c>@&gt;</c>), or null.</param>
/// <param name="Status">The thread status, or null.</param>
/// <param name="Ids">The threads to consider, or null for all.</param>
public sealed record ThreadFilter(string? MetadataContains, AgentThreadStatus? Status, IReadOnlyList<Guid>? Ids);
