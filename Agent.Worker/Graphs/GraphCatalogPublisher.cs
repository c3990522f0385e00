using Agent.Persistence.Graphs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Graphs;

/// <summary>
/// Publishes the graphs this worker registered to the catalogue (<see cref="DeployedGraphStore"/>) when the worker
/// starts, so the API (which hosts no graphs) can draw them, accept assistants for them and list their system
/// assistants. A failure is logged and does not stop the worker: the next start publishes again.
/// </summary>
/// <param name="graphs">The registered graphs.</param>
/// <param name="scopes">Creates the database scope.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class GraphCatalogPublisher(
    IEnumerable<CompiledAgentGraph> graphs, IServiceScopeFactory scopes, ILogger<GraphCatalogPublisher> logger) : IHostedService
{
    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // A later registration of a name replaces an earlier one, as for RunGraphs.
        var latest = graphs.GroupBy(g => g.Name, StringComparer.Ordinal).Select(g => g.Last()).ToList();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredService<DeployedGraphStore>();
            foreach (var graph in latest)
            {
                await store.PublishAsync(AgentGraphDescriber.Describe(graph), cancellationToken);
            }

            LogPublished(logger, latest.Count, string.Join(", ", latest.Select(g => g.Name)));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNotPublished(logger, ex);
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Published {Count} graph(s): {Graphs}")]
    private static partial void LogPublished(ILogger logger, int count, string graphs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not publish this worker's graphs; the API draws the built-in graph only until a worker does")]
    private static partial void LogNotPublished(ILogger logger, Exception exception);
}
