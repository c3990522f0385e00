namespace Agent.Persistence.Graphs;

/// <summary>
/// A graph some worker has registered (row of <c>agent.graphs</c>): its drawable shape and its channels, as the worker
/// published them at startup. The API serves <c>GET /assistants/{id}/graph</c> and <c>/schemas</c> from it and accepts
/// assistants for its <c>graph_id</c>.
/// </summary>
public sealed class DeployedGraph
{
    /// <summary>Gets or sets the graph id (<c>graph_id</c>), the primary key.</summary>
    public required string GraphId { get; set; }

    /// <summary>
    /// Gets or sets the drawable graph as JSON text, LangGraph's shape:
    /// <c>{"nodes": [{"id", "name", "type", "data", "metadata"}], "edges": [{"source", "target", "conditional"}]}</c>.
    /// </summary>
    public string Graph { get; set; } = "{}";

    /// <summary>Gets or sets the state's channels other than <c>messages</c>, as a JSON array of names.</summary>
    public string Channels { get; set; } = "[]";

    /// <summary>
    /// Gets or sets the tools the graph's models can be offered, as a JSON array of names: the publishing worker's C#
    /// tools and the tools its MCP servers listed (e.g. <c>["search_documents", "read_document", "echo"]</c>). The API
    /// checks an assistant's <c>configurable.tools</c> against it.
    /// </summary>
    public string Tools { get; set; } = "[]";

    /// <summary>
    /// Gets or sets the MCP servers the publishing worker's operator configured (<c>Mcp:Servers</c>), as a JSON array of
    /// names. The API checks an assistant's <c>configurable.mcp_servers</c> against it.
    /// </summary>
    public string McpServers { get; set; } = "[]";

    /// <summary>
    /// Gets or sets the graph's subgraphs as a JSON object, node name to the graph id the node runs
    /// (<c>{"research": "research"}</c>; <c>AddSubgraph</c>). Default is <c>{}</c>. The API serves
    /// <c>GET /assistants/{id}/subgraphs</c> from it.
    /// </summary>
    public string Subgraphs { get; set; } = "{}";

    /// <summary>Gets or sets when a worker last published the graph.</summary>
    public DateTimeOffset UpdatedAt { get; set; }
}
