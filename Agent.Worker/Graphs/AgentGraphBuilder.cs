using System.Text.Json.Nodes;
using Agent.Persistence.Documents;

namespace Agent.Worker.Graphs;

/// <summary>
/// Declares a graph in LangGraph's terms (<c>StateGraph</c>): channels with reducers, nodes, edges, conditional edges,
/// <see cref="AgentGraph.Start"/> and <see cref="AgentGraph.End"/>, and a recursion limit. Every run of the graph starts
/// at <c>__start__</c> (its input is committed as step 0) and then runs one node per durable step, following the edges,
/// until it routes to <c>__end__</c> or reaches a node with no outgoing edge.
/// </summary>
/// <remarks>
/// One node runs per step: a node has at most one outgoing edge (plain or conditional). Parallel branches (fan-out) and
/// interrupts are not supported. The <c>messages</c> channel always exists; other channels must be declared with
/// <see cref="AddChannel"/>. Mistakes in the declaration throw <see cref="InvalidOperationException"/> when the graph
/// is registered (<c>AddAgentGraph</c>), so a misdeclared worker does not start.
/// </remarks>
public sealed class AgentGraphBuilder
{
    private readonly Dictionary<string, Func<AgentGraphState, AgentNodeContext, Task<AgentStateUpdate>>> nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<JsonNode?, JsonNode?, JsonNode?>?> channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AgentGraphEdge> edges = new(StringComparer.Ordinal);
    private readonly List<string> defaultCollections = [];
    private readonly Dictionary<string, string> subgraphs = new(StringComparer.Ordinal);

    internal AgentGraphBuilder(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>Gets the graph's id (the <c>graph_id</c> assistants name).</summary>
    public string Name { get; }

    /// <summary>
    /// Gets or sets the most node steps a run may take (LangGraph's <c>recursion_limit</c>). Default is null: the run's
    /// <c>recursion_limit</c> (default 25); when set, the smaller of the two applies.
    /// </summary>
    public int? RecursionLimit { get; set; }

    /// <summary>
    /// Gets the document collections the graph's runs search and read (<c>search_documents</c>, <c>read_document</c>)
    /// when neither the run's nor its assistant's <c>config.configurable.collections</c> names any. Default is empty:
    /// the tools then find nothing. The built-in <c>agent</c> graph's is <c>["postgresql-15"]</c>.
    /// </summary>
    public IReadOnlyList<string> DefaultCollections => defaultCollections;

    /// <summary>
    /// Declares the document collections the graph's runs read by default (filled with <c>ingest --collection NAME</c>);
    /// an assistant's <c>config.configurable.collections</c> replaces them. Calling it again adds to them.
    /// </summary>
    /// <param name="collections">The collection names, e.g. <c>"support-docs"</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">A name is not a valid collection name (<see cref="DocumentCollectionName"/>).</exception>
    public AgentGraphBuilder UseCollections(params string[] collections)
    {
        ArgumentNullException.ThrowIfNull(collections);
        foreach (var collection in collections)
        {
            if (DocumentCollectionName.Check(collection) is { } error)
            {
                throw new InvalidOperationException($"Graph '{Name}': {error}");
            }

            if (!defaultCollections.Contains(collection, StringComparer.Ordinal))
            {
                defaultCollections.Add(collection);
            }
        }

        return this;
    }

    /// <summary>Declares a channel other than <c>messages</c>.</summary>
    /// <param name="name">The channel name.</param>
    /// <param name="reducer">
    /// Combines the current value (null when empty) and a node's write into the new value; null (the default) keeps the
    /// last value written (LangGraph's <c>LastValue</c> channel).
    /// </param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The name is reserved or already declared.</exception>
    public AgentGraphBuilder AddChannel(string name, Func<JsonNode?, JsonNode?, JsonNode?>? reducer = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (name == AgentGraph.Messages || !channels.TryAdd(name, reducer))
        {
            throw new InvalidOperationException($"Graph '{Name}': channel '{name}' is reserved or declared twice.");
        }

        return this;
    }

    /// <summary>Adds a node.</summary>
    /// <param name="name">The node name (not <c>__start__</c> or <c>__end__</c>).</param>
    /// <param name="run">Runs the node: reads the state, returns the update its step commits.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The name is reserved or already used.</exception>
    public AgentGraphBuilder AddNode(string name, Func<AgentGraphState, AgentNodeContext, Task<AgentStateUpdate>> run)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(run);
        if (name is AgentGraph.Start or AgentGraph.End || !nodes.TryAdd(name, run))
        {
            throw new InvalidOperationException($"Graph '{Name}': node '{name}' is reserved or added twice.");
        }

        return this;
    }

    /// <summary>
    /// Adds the prebuilt tool node (LangGraph's <c>ToolNode</c>): it runs the last <c>ai</c> message's tool calls with
    /// the registered tools (<see cref="AgentNodeContext.RunToolCallsAsync"/>).
    /// </summary>
    /// <param name="name">The node name. Default is <c>tools</c>.</param>
    /// <param name="approve">
    /// Tools whose calls a human approves, edits or rejects before they run: the run pauses on an interrupt first
    /// (<see cref="AgentNodeContext.RunToolCallsAsync"/>). Default: none.
    /// </param>
    /// <returns>This builder.</returns>
    public AgentGraphBuilder AddToolNode(string name = AgentGraph.Tools, IEnumerable<string>? approve = null)
    {
        var reviewed = approve?.ToHashSet(StringComparer.Ordinal);
        return AddNode(name, (_, context) => context.RunToolCallsAsync(reviewed));
    }

    /// <summary>
    /// Adds a node that runs a Microsoft Agent Framework <see cref="Microsoft.Agents.AI.AIAgent"/> over the state's
    /// messages (<see cref="AgentNodeContext.RunAgentAsync"/>) and appends its answer: a team that already wrote its
    /// agent with Agent Framework deploys it unchanged. Each invocation is one durable step.
    /// </summary>
    /// <param name="name">The node name.</param>
    /// <param name="agent">Gets the agent from the run's services (e.g. a singleton the host registered), once per step.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The name is reserved or already used.</exception>
    public AgentGraphBuilder AddAIAgentNode(string name, Func<IServiceProvider, Microsoft.Agents.AI.AIAgent> agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        return AddNode(name, async (_, context) => AgentStateUpdate.WithMessages(await context.RunAgentAsync(agent(context.Services))));
    }

    /// <summary>
    /// Adds a node that runs another registered graph as a subgraph (LangGraph's compiled graph added as a node): the
    /// subgraph starts from this graph's messages and the values of the channels both declare, runs its own nodes, each
    /// one durable step committed in the namespace <c>node:task_id</c> (<c>checkpoint_ns</c>), and when it ends this
    /// node's step writes what it changed (the messages it added or replaced, and the shared channels it wrote, through
    /// this graph's reducers). A worker killed inside the subgraph resumes there, after the subgraph's last committed step.
    /// </summary>
    /// <param name="name">The node name.</param>
    /// <param name="graphId">The graph the node runs, registered with <c>AddAgentGraph</c> on the same worker.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The name is reserved or already used, or the graph names itself.</exception>
    public AgentGraphBuilder AddSubgraph(string name, string graphId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(graphId);
        if (graphId == Name)
        {
            throw new InvalidOperationException($"Graph '{Name}': node '{name}' cannot run the graph itself as a subgraph.");
        }

        // The step loop runs the subgraph in the node's place (SubgraphSteps); this body runs only when it is missing.
        AddNode(name, (_, _) => throw new InvalidOperationException(
            $"Graph '{Name}': node '{name}' runs graph '{graphId}', which this worker has not registered (AddAgentGraph)."));
        subgraphs[name] = graphId;
        return this;
    }

    /// <summary>Adds an edge: after <paramref name="from"/> comes <paramref name="to"/>.</summary>
    /// <param name="from">A node, or <c>__start__</c>.</param>
    /// <param name="to">A node, or <c>__end__</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="from"/> already has an outgoing edge.</exception>
    public AgentGraphBuilder AddEdge(string from, string to) => AddOutgoing(from, new AgentGraphEdge(to, null, [to]));

    /// <summary>Adds a conditional edge: after <paramref name="from"/>, <paramref name="route"/> names the next node.</summary>
    /// <param name="from">A node, or <c>__start__</c>.</param>
    /// <param name="route">Chooses the next node (or <c>__end__</c>) from the state after <paramref name="from"/>'s step.</param>
    /// <param name="destinations">The names <paramref name="route"/> can return (drawn by <c>GET /assistants/{id}/graph</c>); null means every node and <c>__end__</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException"><paramref name="from"/> already has an outgoing edge.</exception>
    public AgentGraphBuilder AddConditionalEdges(string from, Func<AgentGraphState, string> route, IReadOnlyCollection<string>? destinations = null)
    {
        ArgumentNullException.ThrowIfNull(route);
        return AddOutgoing(from, new AgentGraphEdge(null, route, destinations));
    }

    /// <summary>Checks the declaration and freezes it.</summary>
    /// <returns>The compiled graph.</returns>
    /// <exception cref="InvalidOperationException">An edge names an unknown node, or <c>__start__</c> has no edge.</exception>
    internal CompiledAgentGraph Compile()
    {
        if (!edges.ContainsKey(AgentGraph.Start))
        {
            throw new InvalidOperationException($"Graph '{Name}' has no edge from {AgentGraph.Start}.");
        }

        foreach (var (from, edge) in edges)
        {
            foreach (var to in edge.Destinations ?? [])
            {
                if (to != AgentGraph.End && !nodes.ContainsKey(to))
                {
                    throw new InvalidOperationException($"Graph '{Name}': the edge from '{from}' goes to unknown node '{to}'.");
                }
            }

            if (from != AgentGraph.Start && !nodes.ContainsKey(from))
            {
                throw new InvalidOperationException($"Graph '{Name}': an edge leaves unknown node '{from}'.");
            }
        }

        return new CompiledAgentGraph(Name, RecursionLimit, new(nodes), new(channels), new(edges), [.. defaultCollections])
        {
            Subgraphs = new Dictionary<string, string>(subgraphs, StringComparer.Ordinal),
        };
    }

    private AgentGraphBuilder AddOutgoing(string from, AgentGraphEdge edge)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(from);
        if (from == AgentGraph.End || !edges.TryAdd(from, edge))
        {
            throw new InvalidOperationException(
                $"Graph '{Name}': '{from}' already has an outgoing edge (one node runs per step; use a conditional edge to branch).");
        }

        return this;
    }
}

/// <summary>A node's outgoing edge: a fixed target or a route, and the targets it can reach.</summary>
/// <param name="To">The fixed target, or null for a conditional edge.</param>
/// <param name="Route">The route of a conditional edge, or null.</param>
/// <param name="Destinations">The reachable targets, or null for any.</param>
internal sealed record AgentGraphEdge(string? To, Func<AgentGraphState, string>? Route, IReadOnlyCollection<string>? Destinations);
