using Agent.Worker.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Tools.Mcp;

/// <summary>
/// The worker's MCP tool servers (<see cref="McpOptions"/>): one <see cref="McpServerConnection"/> per configured
/// server, opened once per process and shared by every run slot, and the tools they offer (<see cref="Tools"/>).
/// </summary>
/// <remarks>
/// <para>
/// Starting waits for each server's first attempt (at most its <see cref="McpServerOptions.ConnectTimeoutSeconds"/>,
/// all servers at once), so the tools of a reachable server are there for the first run; a server that is down does
/// not stop the worker, and its tools appear when a later attempt reaches it.
/// </para>
/// <para>
/// Name collisions: the C# tools keep their names; an MCP tool whose name (after its server's
/// <see cref="McpServerOptions.ToolPrefix"/>) is already taken, by a C# tool or by a server earlier in ordinal order
/// of names, is left out with a warning. Refusing to start cannot work (a server that is down at start has not said
/// its names yet), and prefixing every tool would rename the tools that prompts and <c>configurable.tools</c> name;
/// the operator resolves a collision with <see cref="McpServerOptions.ToolPrefix"/>.
/// </para>
/// </remarks>
internal sealed partial class McpToolServers : IHostedService, IAsyncDisposable
{
    private readonly List<McpServerConnection> connections;
    private readonly HashSet<string> reservedNames;
    private readonly TimeProvider timeProvider;
    private readonly ILogger<McpToolServers> logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock refreshing = new();
    private List<Task> loops = [];
    private int disposed;
    private volatile IReadOnlyList<(McpAgentTool Tool, IAgentTool Traced)> offered = [];

    /// <summary>Initializes a new instance of the <see cref="McpToolServers"/> class.</summary>
    /// <param name="options">The configured servers.</param>
    /// <param name="csharpTools">The C# tools, whose names MCP tools cannot take.</param>
    /// <param name="loggerFactory">Creates the loggers.</param>
    /// <param name="timeProvider">The clock of backoffs and time limits.</param>
    public McpToolServers(
        IOptions<McpOptions> options, IEnumerable<IAgentTool> csharpTools, ILoggerFactory loggerFactory, TimeProvider timeProvider)
    {
        this.timeProvider = timeProvider;
        logger = loggerFactory.CreateLogger<McpToolServers>();
        reservedNames = csharpTools.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        connections = [.. options.Value.Servers
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => new McpServerConnection(s.Key, s.Value, loggerFactory, timeProvider))];
        foreach (var connection in connections)
        {
            connection.ToolsListed += Refresh;
        }
    }

    /// <summary>Raised when the offered MCP tools changed (a server listed its tools).</summary>
    public event Action? ToolsChanged;

    /// <summary>Gets the configured servers' names, in ordinal order.</summary>
    public IReadOnlyList<string> ServerNames => [.. connections.Select(c => c.Name)];

    /// <summary>
    /// Gets the MCP tools offered now: every tool each server listed last (kept while it is down), collisions left out,
    /// each traced as an <c>execute_tool</c> span like the C# tools (<see cref="TracedAgentTool"/>).
    /// </summary>
    public IReadOnlyList<IAgentTool> Tools => [.. offered.Select(o => o.Traced)];

    /// <summary>Lists the names of the tools offered by some servers.</summary>
    /// <param name="servers">The server names.</param>
    /// <returns>The tool names, as the model sees them.</returns>
    public IEnumerable<string> ToolNames(IReadOnlyCollection<string> servers) =>
        offered.Where(o => servers.Contains(o.Tool.Server)).Select(o => o.Tool.Name);

    /// <summary>Lists the servers with no open session now.</summary>
    /// <returns>Their names, in ordinal order.</returns>
    public IReadOnlyList<string> UnreachableServers() => [.. connections.Where(c => !c.IsConnected).Select(c => c.Name)];

    /// <summary>Finds an offered MCP tool by the name the model sees.</summary>
    /// <param name="name">The tool name.</param>
    /// <returns>The tool, or null.</returns>
    public IAgentTool? Find(string name) => offered.FirstOrDefault(o => o.Tool.Name == name).Traced;

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        loops = [.. connections.Select(c => Task.Run(() => c.RunAsync(stopping.Token), CancellationToken.None))];
        await Task.WhenAll(connections.Select(c => c.WaitForFirstAttemptAsync(cancellationToken)));
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await stopping.CancelAsync();
#pragma warning disable VSTHRD003 // The loops were started by StartAsync; awaiting them here is their join.
        await Task.WhenAll(loops).WaitAsync(cancellationToken);
#pragma warning restore VSTHRD003
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Registered as a singleton and as a hosted service (the same instance): the container disposes it twice.
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await stopping.CancelAsync();
        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }

        stopping.Dispose();
    }

    private void Refresh()
    {
        lock (refreshing)
        {
            var taken = new HashSet<string>(reservedNames, StringComparer.Ordinal);
            var tools = new List<(McpAgentTool, IAgentTool)>();
            foreach (var connection in connections)
            {
                foreach (var listed in connection.Tools)
                {
                    var tool = new McpAgentTool(connection, listed, timeProvider);
                    if (taken.Add(tool.Name))
                    {
                        tools.Add((tool, new TracedAgentTool(tool)));
                    }
                    else
                    {
                        LogCollision(logger, tool.Name, connection.Name);
                    }
                }
            }

            offered = tools;
        }

        ToolsChanged?.Invoke();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The tool {Tool} of MCP server {Server} is not offered: another tool has that name (set Mcp:Servers:{Server}:ToolPrefix)")]
    private static partial void LogCollision(ILogger logger, string tool, string server);
}
