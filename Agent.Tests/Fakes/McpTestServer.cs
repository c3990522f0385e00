using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Agent.Tests.Fakes;

/// <summary>
/// A real MCP server for tests, built with the official SDK's server side: streamable HTTP on Kestrel at
/// <c>http://127.0.0.1:{ephemeral}/mcp</c>, with two tools: <c>echo</c> (<c>{"text": string}</c>, answers
/// <c>echo: {text}</c>) and <c>wait_forever</c> (answers only when the server stops or the client cancels). It records
/// the <c>_meta.idempotency_key</c> of every call it receives.
/// </summary>
internal sealed class McpTestServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly CancellationTokenSource stopping = new();
    private bool stopped;

    private McpTestServer(WebApplication app, Uri url)
    {
        this.app = app;
        Url = url;
    }

    /// <summary>Gets the server's endpoint, <c>http://127.0.0.1:{port}/mcp</c>.</summary>
    public Uri Url { get; }

    /// <summary>Gets the calls received: tool name and <c>_meta.idempotency_key</c> (null when absent), in order.</summary>
    public ConcurrentQueue<(string Tool, string? IdempotencyKey)> Calls { get; } = new();

    /// <summary>Starts a server on an ephemeral loopback port.</summary>
    /// <returns>The started server; dispose it to stop it.</returns>
    public static async Task<McpTestServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        McpTestServer? server = null;
        var tools = new[]
        {
            McpServerTool.Create(
                [System.ComponentModel.Description("Echoes the text.")] (string text) => $"echo: {text}",
                new McpServerToolCreateOptions { Name = "echo" }),
            McpServerTool.Create(
                [System.ComponentModel.Description("Never answers.")] async (CancellationToken cancellationToken) =>
                {
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, server!.stopping.Token);
                    await Task.Delay(Timeout.Infinite, linked.Token);
                    return "unreachable";
                },
                new McpServerToolCreateOptions { Name = "wait_forever" }),
        };
        builder.Services.AddMcpServer()
            .WithHttpTransport()
            .WithTools(tools.Select(t => (McpServerTool)new RecordingTool(t, (name, key) => server!.Calls.Enqueue((name, key)))));
        var app = builder.Build();
        app.MapMcp("/mcp");
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new McpTestServer(app, new Uri(address.TrimEnd('/') + "/mcp"));
        return server;
    }

    /// <summary>Stops the server (a later call cannot connect); calls in flight are cancelled.</summary>
    /// <returns>A task that completes when Kestrel has stopped.</returns>
    public async Task StopAsync()
    {
        if (!stopped)
        {
            stopped = true;
            await stopping.CancelAsync();
            await app.StopAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await app.DisposeAsync();
        stopping.Dispose();
    }

    // Records each call's tool name and _meta.idempotency_key, then runs the tool.
    private sealed class RecordingTool(McpServerTool inner, Action<string, string?> record) : McpServerTool
    {
        public override Tool ProtocolTool => inner.ProtocolTool;

        public override IReadOnlyList<object> Metadata => inner.Metadata;

        public override ValueTask<CallToolResult> InvokeAsync(
            RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken = default)
        {
            record(ProtocolTool.Name, request.Params?.Meta?["idempotency_key"]?.GetValue<string>());
            return inner.InvokeAsync(request, cancellationToken);
        }
    }
}
