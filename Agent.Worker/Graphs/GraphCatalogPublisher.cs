using System.Text.Json;
using Agent.Persistence.Graphs;
using Agent.Worker.Tools;
using Agent.Worker.Tools.Mcp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Graphs;

/// <summary>
/// Publishes the graphs this worker registered to the catalogue (<see cref="DeployedGraphStore"/>) when the worker
/// starts, so the API (which hosts no graphs) can draw them, accept assistants for them and list their system
/// assistants, with the tools their models can be offered (the C# tools and the MCP servers' tools, which the API checks
/// <c>configurable.tools</c> against) and the configured MCP servers. A failure is logged and does not stop the worker:
/// the next start publishes again. When an MCP server lists its tools later (it was down at start, or its list
/// changed), the graphs are published again.
/// </summary>
/// <param name="graphs">The registered graphs.</param>
/// <param name="tools">The registered (C#) tools.</param>
/// <param name="mcpServers">The MCP tool servers.</param>
/// <param name="scopes">Creates the database scope.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class GraphCatalogPublisher(
    IEnumerable<CompiledAgentGraph> graphs, IEnumerable<IAgentTool> tools, McpToolServers mcpServers, IServiceScopeFactory scopes,
    ILogger<GraphCatalogPublisher> logger) : IHostedService, IDisposable
{
    private readonly SemaphoreSlim publishing = new(1, 1);
    private readonly CancellationTokenSource stopping = new();

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        mcpServers.ToolsChanged += OnToolsChanged;
        await PublishAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        mcpServers.ToolsChanged -= OnToolsChanged;
        await stopping.CancelAsync();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        publishing.Dispose();
        stopping.Dispose();
    }

    private void OnToolsChanged() =>
        // The event is raised on the MCP connection's flow; publishing must not hold it up.
        _ = Task.Run(() => PublishAsync(stopping.Token), CancellationToken.None);

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        // A later registration of a name replaces an earlier one, as for RunGraphs.
        var latest = graphs.GroupBy(g => g.Name, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        try
        {
            await publishing.WaitAsync(cancellationToken);
            try
            {
                // The names the model is offered (RetrievalAgent): the C# tools, then the MCP tools (none share a name).
                var names = JsonSerializer.Serialize(tools.Select(t => t.Name).Concat(mcpServers.Tools.Select(t => t.Name)));
                var servers = JsonSerializer.Serialize(mcpServers.ServerNames);
                await using var scope = scopes.CreateAsyncScope();
                var store = scope.ServiceProvider.GetRequiredService<DeployedGraphStore>();
                foreach (var graph in latest)
                {
                    var described = AgentGraphDescriber.Describe(graph);
                    described.Tools = names;
                    described.McpServers = servers;
                    await store.PublishAsync(described, cancellationToken);
                }

                LogPublished(logger, latest.Count, string.Join(", ", latest.Select(g => g.Name)), names);
            }
            finally
            {
                publishing.Release();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNotPublished(logger, ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The worker is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Count} graph(s): {Graphs}, with the tools {Tools}")]
    private static partial void LogPublished(ILogger logger, int count, string graphs, string tools);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish this worker's graphs; the API draws the built-in graph only until a worker does")]
    private static partial void LogNotPublished(ILogger logger, Exception exception);
}
