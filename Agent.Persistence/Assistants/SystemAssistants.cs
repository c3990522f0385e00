using Agent.Persistence.Identifiers;

namespace Agent.Persistence.Assistants;

/// <summary>
/// Names the graphs this server runs and derives their system assistants' ids the way LangGraph Server does.
/// </summary>
public static class SystemAssistants
{
    /// <summary>The graph id of the retrieval agent, usable as <c>assistant_id</c>.</summary>
    public const string AgentGraphId = "agent";

    /// <summary>
    /// The namespace LangGraph Server uses for system assistant ids, <c>6ba7b821-9dad-11d1-80b4-00c04fd430c8</c>
    /// (RFC 4122's URL namespace; <c>langgraph_api/graph.py</c> <c>NAMESPACE_GRAPH</c>).
    /// </summary>
    public static readonly Guid GraphNamespace = new("6ba7b821-9dad-11d1-80b4-00c04fd430c8");

    /// <summary>Gets the graph ids served by this build.</summary>
    public static IReadOnlyList<string> GraphIds { get; } = [AgentGraphId];

    /// <summary>
    /// Gets the tools the <c>agent</c> graph can offer its model (registered by the worker): an assistant's
    /// <c>config.configurable.tools</c> chooses among them; absent means all.
    /// </summary>
    public static IReadOnlyList<string> AgentTools { get; } = ["search_documents", "read_document"];

    /// <summary>
    /// Reads an <c>assistant_id</c> as LangGraph Server does: a UUID, or a graph id standing for that graph's system
    /// assistant (<see cref="IdFor"/>; whether it exists, i.e. whether the graph is deployed, is the lookup's answer).
    /// </summary>
    /// <param name="assistantIdOrGraphId">The text given.</param>
    /// <returns>The assistant id, or <see cref="Guid.Empty"/> for null or blank text.</returns>
    public static Guid IdOf(string? assistantIdOrGraphId) =>
        Guid.TryParse(assistantIdOrGraphId, out var parsed) ? parsed
        : string.IsNullOrWhiteSpace(assistantIdOrGraphId) ? Guid.Empty
        : IdFor(assistantIdOrGraphId);

    /// <summary>
    /// Computes the system assistant id for a graph: RFC 4122 uuid5 (SHA-1) of <paramref name="graphId"/> in
    /// <see cref="GraphNamespace"/>. For <c>agent</c> it is <c>fe096781-5601-53d2-b2f6-0d3403f7e9ca</c>.
    /// </summary>
    /// <param name="graphId">The graph id.</param>
    /// <returns>The deterministic assistant id.</returns>
    public static Guid IdFor(string graphId) => DeterministicGuid.Create(GraphNamespace, graphId);
}
