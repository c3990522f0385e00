using Agent.Persistence.Assistants;
using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.Graphs;

/// <summary>
/// The catalogue of deployed graphs (<c>agent.graphs</c>): workers publish the graphs they registered at startup, and
/// every published graph gets its system assistant (id uuid5 of the graph id, <see cref="SystemAssistants.IdFor"/>),
/// as LangGraph Server creates one per graph in <c>langgraph.json</c>.
/// </summary>
/// <param name="context">The database context.</param>
/// <param name="timeProvider">The clock.</param>
public sealed class DeployedGraphStore(AgentDbContext context, TimeProvider timeProvider)
{
    private const string SystemMetadata = """{"created_by":"system"}""";

    /// <summary>
    /// Publishes a graph: inserts or replaces its row (its drawing, channels, tools and MCP servers: the last worker to
    /// publish wins), and inserts its system assistant unless it exists. Safe to
    /// run concurrently from several workers (<c>INSERT ... ON CONFLICT</c>).
    /// </summary>
    /// <param name="graph">The graph.</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    /// <returns>A task that completes when both are committed.</returns>
    public async Task PublishAsync(DeployedGraph graph, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var now = timeProvider.GetUtcNow();
        await context.Database.ExecuteSqlAsync($"""
            INSERT INTO agent.graphs (graph_id, graph, channels, tools, mcp_servers, subgraphs, updated_at)
            VALUES ({graph.GraphId}, {graph.Graph}::jsonb, {graph.Channels}::jsonb, {graph.Tools}::jsonb, {graph.McpServers}::jsonb,
                    {graph.Subgraphs}::jsonb, {now})
            ON CONFLICT (graph_id) DO UPDATE SET graph = excluded.graph, channels = excluded.channels, tools = excluded.tools,
                mcp_servers = excluded.mcp_servers, subgraphs = excluded.subgraphs, updated_at = excluded.updated_at
            """, cancellationToken);
        await EnsureSystemAssistantAsync(context, graph.GraphId, "System assistant of a deployed graph.", now, cancellationToken);
    }

    /// <summary>
    /// Inserts a graph's system assistant (id <see cref="SystemAssistants.IdFor"/>, no tenant) unless it exists;
    /// <c>INSERT ... ON CONFLICT</c> keeps concurrent callers (several pods starting at once) from failing.
    /// </summary>
    /// <param name="context">The database context.</param>
    /// <param name="graphId">The graph id (also the assistant's name).</param>
    /// <param name="description">The assistant's description.</param>
    /// <param name="now">The creation time.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when committed.</returns>
    internal static async Task EnsureSystemAssistantAsync(
        AgentDbContext context, string graphId, string description, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var assistantId = SystemAssistants.IdFor(graphId);
        await context.Database.ExecuteSqlAsync($"""
            INSERT INTO agent.assistants (assistant_id, graph_id, name, description, config, context, metadata, version, created_at, updated_at)
            VALUES ({assistantId}, {graphId}, {graphId}, {description},
                    {"{}"}::jsonb, {"{}"}::jsonb, {SystemMetadata}::jsonb, 1, {now}, {now})
            ON CONFLICT (assistant_id) DO NOTHING
            """, cancellationToken);
    }

    /// <summary>Finds a deployed graph.</summary>
    /// <param name="graphId">The graph id.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The graph, or null when no worker has published it.</returns>
    public Task<DeployedGraph?> FindAsync(string graphId, CancellationToken cancellationToken) =>
        context.DeployedGraphs.AsNoTracking().SingleOrDefaultAsync(g => g.GraphId == graphId, cancellationToken);

    /// <summary>Finds several deployed graphs.</summary>
    /// <param name="graphIds">The graph ids.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The graphs found, by id.</returns>
    public async Task<Dictionary<string, DeployedGraph>> FindManyAsync(IReadOnlyCollection<string> graphIds, CancellationToken cancellationToken) =>
        await context.DeployedGraphs.AsNoTracking().Where(g => graphIds.Contains(g.GraphId)).ToDictionaryAsync(g => g.GraphId, cancellationToken);

    /// <summary>Lists the known graph ids: the built-in ones (<see cref="SystemAssistants.GraphIds"/>) and every published one.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The ids, sorted, without duplicates.</returns>
    public async Task<IReadOnlyList<string>> ListIdsAsync(CancellationToken cancellationToken)
    {
        var published = await context.DeployedGraphs.AsNoTracking().Select(g => g.GraphId).ToListAsync(cancellationToken);
        return [.. published.Concat(SystemAssistants.GraphIds).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }
}
