using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Tools.Mcp;

/// <summary>
/// The worker's one connection to one MCP server, shared by every run slot: connects and lists the tools, reconnects
/// with backoff (1 s doubling to <see cref="McpServerOptions.ReconnectMaxDelaySeconds"/>) when the server is
/// unreachable or the session ends, and keeps the tools it last listed while the server is down, so a call of one of
/// them is answered with "not reachable" (a tool error) rather than "unknown tool".
/// </summary>
/// <param name="name">The server's name (<c>Mcp:Servers:{name}</c>).</param>
/// <param name="options">The server's settings.</param>
/// <param name="loggerFactory">Creates the SDK's loggers.</param>
/// <param name="timeProvider">The clock of the backoff.</param>
internal sealed partial class McpServerConnection(
    string name, McpServerOptions options, ILoggerFactory loggerFactory, TimeProvider timeProvider) : IAsyncDisposable
{
    private readonly ILogger logger = loggerFactory.CreateLogger<McpServerConnection>();
    private readonly TaskCompletionSource firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile McpClient? client;
    private IAsyncDisposable? transport;
    private volatile TaskCompletionSource broken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IReadOnlyList<Tool> tools = [];

    /// <summary>Raised after the server's tools were listed (on connecting, and on its <c>tools/list_changed</c>).</summary>
    public event Action? ToolsListed;

    /// <summary>Gets the server's name.</summary>
    public string Name => name;

    /// <summary>Gets the server's settings.</summary>
    public McpServerOptions Options => options;

    /// <summary>Gets a value indicating whether a session with the server is open now.</summary>
    public bool IsConnected => client is not null;

    /// <summary>Gets the tools the server listed last (kept while it is unreachable), in its order.</summary>
    public IReadOnlyList<Tool> Tools => tools;

    /// <summary>Waits until the first attempt to connect (<see cref="RunAsync"/>) ended, reached or not.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes with the first attempt.</returns>
    public async Task WaitForFirstAttemptAsync(CancellationToken cancellationToken)
    {
#pragma warning disable VSTHRD003 // Completed by this connection's own loop; awaiting it here is the join.
        await firstAttempt.Task.WaitAsync(cancellationToken);
#pragma warning restore VSTHRD003
    }

    /// <summary>Connects, and reconnects with backoff whenever the server is lost, until <paramref name="stoppingToken"/> is cancelled.</summary>
    /// <param name="stoppingToken">Cancelled when the worker stops.</param>
    /// <returns>A task that completes when the worker stops.</returns>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        var initialDelay = TimeSpan.FromSeconds(1);
        var delay = initialDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var session = await ConnectAsync(stoppingToken);
                delay = initialDelay;
                firstAttempt.TrySetResult();
                // The session ends when a stdio server exits or the transport fails; a call that failed to reach the
                // server reports it too (a stateless HTTP session has nothing open to notice the loss).
                await Task.WhenAny(session.Completion, broken.Task).WaitAsync(stoppingToken);
                LogLost(logger, name);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogUnreachable(logger, ex, name, delay.TotalSeconds);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            finally
            {
                firstAttempt.TrySetResult();
                await DropAsync();
            }

            try
            {
                await Task.Delay(delay, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, options.ReconnectMaxDelaySeconds));
        }
    }

    /// <summary>Calls one of the server's tools over the open session.</summary>
    /// <param name="toolName">The tool's MCP name.</param>
    /// <param name="arguments">The arguments (JSON values).</param>
    /// <param name="meta">The request's <c>_meta</c> (e.g. the idempotency key).</param>
    /// <param name="cancellationToken">Cancels the call (the call's time limit, the run's token).</param>
    /// <returns>The server's result.</returns>
    /// <exception cref="McpServerUnreachableException">No session is open, or the call could not reach the server.</exception>
    /// <exception cref="McpProtocolException">The server answered with a JSON-RPC error (e.g. an unknown tool).</exception>
    public async Task<CallToolResult> CallToolAsync(
        string toolName, IReadOnlyDictionary<string, object?> arguments, JsonObject meta, CancellationToken cancellationToken)
    {
        var session = client ?? throw new McpServerUnreachableException($"the MCP server '{name}' is not reachable now (the worker keeps trying to reconnect)");
        try
        {
            return await session.CallToolAsync(toolName, arguments, progress: null, new RequestOptions { Meta = meta }, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not McpProtocolException)
        {
            // Not an answer from the server: the session is reopened in the background.
            broken.TrySetResult();
            throw new McpServerUnreachableException($"the MCP server '{name}' is not reachable: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => DropAsync();

    private async Task<McpClient> ConnectAsync(CancellationToken stoppingToken)
    {
        var connectTimeout = TimeSpan.FromSeconds(options.ConnectTimeoutSeconds);
        using var timeout = new CancellationTokenSource(connectTimeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        IClientTransport opened = options.Url is { Length: > 0 } url
            ? new HttpClientTransport(
                new HttpClientTransportOptions
                {
                    Endpoint = new Uri(url),
                    Name = name,
                    TransportMode = HttpTransportMode.StreamableHttp,
                    AdditionalHeaders = options.Headers,
                    ConnectionTimeout = connectTimeout,
                },
                loggerFactory)
            : new StdioClientTransport(
                new StdioClientTransportOptions
                {
                    Command = options.Command!,
                    Arguments = options.Arguments,
                    WorkingDirectory = options.WorkingDirectory,
                    EnvironmentVariables = options.Environment,
                    Name = name,
                },
                loggerFactory);
        // The HTTP transport owns an HttpClient: it is disposed with the session it opened (DropAsync), or here on failure.
        transport = opened as IAsyncDisposable;
        var session = await McpClient.CreateAsync(
            opened,
            new McpClientOptions { ClientInfo = new Implementation { Name = "agent-worker", Version = "1.0" }, InitializationTimeout = connectTimeout },
            loggerFactory,
            linked.Token);
        try
        {
            broken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await ListToolsAsync(session, linked.Token);
            session.RegisterNotificationHandler(NotificationMethods.ToolListChangedNotification, async (_, token) =>
            {
                try
                {
                    await ListToolsAsync(session, token);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogUnreachable(logger, ex, name, 0);
                }
            });
            client = session;
            LogConnected(logger, name, tools.Count, string.Join(", ", tools.Select(t => t.Name)));
            return session;
        }
        catch
        {
            await session.DisposeAsync();
            throw;
        }
    }

    private async Task ListToolsAsync(McpClient session, CancellationToken cancellationToken)
    {
        var listed = await session.ListToolsAsync(cancellationToken: cancellationToken);
        tools = [.. listed.Select(t => t.ProtocolTool)];
        ToolsListed?.Invoke();
    }

    private async ValueTask DropAsync()
    {
        var session = Interlocked.Exchange(ref client, null);
        var owner = Interlocked.Exchange(ref transport, null);
        if (session is not null || owner is not null)
        {
            try
            {
                if (session is not null)
                {
                    await session.DisposeAsync();
                }

                if (owner is not null)
                {
                    await owner.DisposeAsync();
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A session that is already broken may fail to close; it is gone either way.
                LogCloseFailed(logger, ex, name);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP server {Server} connected with {Count} tool(s): {Tools}")]
    private static partial void LogConnected(ILogger logger, string server, int count, string tools);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Server} is not reachable; trying again in {DelaySeconds} s")]
    private static partial void LogUnreachable(ILogger logger, Exception exception, string server, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP server {Server} was lost; reconnecting")]
    private static partial void LogLost(ILogger logger, string server);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MCP server {Server}'s session did not close cleanly")]
    private static partial void LogCloseFailed(ILogger logger, Exception exception, string server);
}
