using System.ComponentModel;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Agent.Tests.McpServer;

/// <summary>The server's tools.</summary>
[McpServerToolType]
public static class EchoTools
{
    /// <summary>Echoes a text, with the idempotency key the worker put in the request's <c>_meta</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="context">The request (its <c>_meta</c> carries <c>idempotency_key</c>).</param>
    /// <returns><c>echo: {text} (idempotency_key: {key})</c>.</returns>
    [McpServerTool(Name = "stdio_echo")]
    [Description("Echoes the text.")]
    public static string Echo([Description("The text to echo.")] string text, RequestContext<CallToolRequestParams> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var key = context.Params?.Meta?["idempotency_key"]?.GetValue<string>() ?? "none";
        return $"echo: {text} (idempotency_key: {key})";
    }
}
