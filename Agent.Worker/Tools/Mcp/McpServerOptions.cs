using System.ComponentModel.DataAnnotations;

namespace Agent.Worker.Tools.Mcp;

/// <summary>
/// One MCP server (<c>Mcp:Servers:{name}</c>): either a stdio command the worker starts (<see cref="Command"/>), or a
/// streamable HTTP endpoint (<see cref="Url"/>); exactly one of the two is set.
/// </summary>
public sealed class McpServerOptions
{
    /// <summary>
    /// Gets or sets the executable of a stdio server (e.g. <c>dotnet</c>, <c>npx</c>, a path); the worker starts it once
    /// and talks MCP over its standard input and output. Default is null (an HTTP server).
    /// </summary>
    public string? Command { get; set; }

    /// <summary>Gets the arguments of <see cref="Command"/>, one per element (<c>Arguments:0</c>, <c>Arguments:1</c> ...). Default is none.</summary>
    public List<string> Arguments { get; } = [];

    /// <summary>Gets or sets the working directory of <see cref="Command"/>. Default is null (the worker's).</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// Gets the environment variables set for <see cref="Command"/>, on top of the worker's own (which the process
    /// inherits). Default is none.
    /// </summary>
    public Dictionary<string, string?> Environment { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Gets or sets the absolute <c>http</c> or <c>https</c> URL of a streamable HTTP server (e.g.
    /// <c>http://localhost:5010/mcp</c>). Default is null (a stdio server).
    /// </summary>
    public string? Url { get; set; }

    /// <summary>
    /// Gets the HTTP headers sent with every request to <see cref="Url"/> (e.g. <c>Authorization</c>); give secrets
    /// through the environment (<c>Mcp__Servers__{name}__Headers__Authorization</c>). Default is none.
    /// </summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Gets or sets the time limit of one tool call, in seconds; a call that exceeds it is cancelled and the model gets a
    /// tool error. Keep it below <c>AgentWorker:ToolCallTimeoutSeconds</c> (60), whose expiry is retried instead.
    /// Default is 30.
    /// </summary>
    [Range(0.1, 3600)]
    public double CallTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Gets or sets the time limit of connecting and listing the tools, in seconds. The worker's start waits at most this
    /// long for the server's first attempt. Default is 10.
    /// </summary>
    [Range(0.1, 600)]
    public double ConnectTimeoutSeconds { get; set; } = 10;

    /// <summary>
    /// Gets or sets the longest wait between two attempts to reach an unreachable server, in seconds; the waits start at
    /// one second and double up to it. Default is 60.
    /// </summary>
    [Range(1, 3600)]
    public double ReconnectMaxDelaySeconds { get; set; } = 60;

    /// <summary>
    /// Gets or sets a prefix put before each of the server's tool names as the model sees them (e.g. <c>files_</c>
    /// offers <c>read</c> as <c>files_read</c>), the way out of a name collision. Letters, digits, <c>_</c> and <c>-</c>.
    /// Default is null (the MCP names as they are).
    /// </summary>
    [RegularExpression("^[A-Za-z0-9_-]{0,32}$")]
    public string? ToolPrefix { get; set; }
}
