namespace Agent.Persistence.Assistants;

/// <summary>The filters of an assistant search or count (LangGraph <c>POST /assistants/search</c>); null means "any".</summary>
/// <param name="MetadataContains">A JSON object the metadata must contain (jsonb <c>@&gt;</c>), or null.</param>
/// <param name="GraphId">The graph, or null.</param>
/// <param name="NameContains">Text the name contains, case-insensitively (LangGraph's match), or null.</param>
public sealed record AssistantFilter(string? MetadataContains, string? GraphId, string? NameContains);
