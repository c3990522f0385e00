using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Agent.Worker.Tools.Mcp;

/// <summary>
/// One tool of an MCP server on the worker's tool path: the model sees the tool's MCP name (after the server's
/// <see cref="McpServerOptions.ToolPrefix"/>), description and input schema; a call goes to the server over the
/// worker's shared connection with the call's idempotency key in the request's <c>_meta</c>
/// (<c>{"idempotency_key": "run_id:step:tool_call_id"}</c>) and the server's
/// <see cref="McpServerOptions.CallTimeoutSeconds"/>.
/// </summary>
/// <remarks>
/// Every failure of the server is a <see cref="ToolFailedException"/> (a tool error the model reads), never a failed
/// run: a result with <c>isError</c>, a JSON-RPC error, the time limit, and a server that cannot be reached (it is not
/// retried in the step: the connection reconnects in the background, and the model decides what to do). Only the
/// run's own cancellation propagates.
/// </remarks>
/// <param name="server">The server's connection.</param>
/// <param name="tool">The tool as the server listed it.</param>
/// <param name="timeProvider">The clock of the time limit.</param>
internal sealed class McpAgentTool(McpServerConnection server, Tool tool, TimeProvider timeProvider) : IAgentTool
{
    /// <summary>The <c>_meta</c> key of the idempotency key, <c>idempotency_key</c>.</summary>
    public const string IdempotencyKeyMeta = AgentToolContext.IdempotencyKeyName;

    /// <summary>Gets the name of the server the tool belongs to.</summary>
    public string Server => server.Name;

    /// <inheritdoc />
    public string Name { get; } = (server.Options.ToolPrefix ?? string.Empty) + tool.Name;

    /// <inheritdoc />
    public string Description => tool.Description ?? tool.Title ?? string.Empty;

    /// <inheritdoc />
    public JsonElement ParametersSchema => tool.InputSchema;

    /// <inheritdoc />
    /// <exception cref="ToolFailedException">The server answered with an error, did not answer in time, or could not be reached.</exception>
    public async Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var values = arguments.ValueKind == JsonValueKind.Object
            ? arguments.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);
        var meta = new JsonObject { [IdempotencyKeyMeta] = invocation.IdempotencyKey };
        var limit = TimeSpan.FromSeconds(server.Options.CallTimeoutSeconds);
        using var timeout = new CancellationTokenSource(limit, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        CallToolResult result;
        try
        {
            result = await server.CallToolAsync(tool.Name, values, meta, linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ToolFailedException(
                $"the tool '{Name}' of the MCP server '{Server}' did not answer within {limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (McpServerUnreachableException ex)
        {
            throw new ToolFailedException(ex.Message, ex);
        }
        catch (McpException ex)
        {
            throw new ToolFailedException($"the MCP server '{Server}' refused the call to '{Name}': {ex.Message}", ex);
        }

        var text = Text(result);
        return result.IsError == true
            ? throw new ToolFailedException($"the tool '{Name}' of the MCP server '{Server}' answered with an error: {text}")
            : text;
    }

    // The text blocks as the model reads them; without any, the structured result, else the content blocks as JSON.
    private static string Text(CallToolResult result)
    {
        var texts = result.Content.OfType<TextContentBlock>().Select(t => t.Text).ToList();
        if (texts.Count > 0)
        {
            return string.Join("\n", texts);
        }

        return result.StructuredContent is { } structured
            ? structured.GetRawText()
            : JsonSerializer.Serialize(result.Content, McpJsonUtilities.DefaultOptions);
    }
}
