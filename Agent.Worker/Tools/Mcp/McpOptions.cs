namespace Agent.Worker.Tools.Mcp;

/// <summary>
/// The MCP tool servers the operator configured (section <c>Mcp</c>): each server's tools are offered to the models
/// next to the C# tools. Validated when the worker starts (<see cref="McpOptionsValidator"/>); an invalid entry stops
/// the worker, a server that is merely unreachable does not.
/// </summary>
/// <example>
/// <code>
/// "Mcp": { "Servers": {
///   "files": { "Command": "dotnet", "Arguments": ["McpFiles.dll"], "Environment": { "ROOT": "/data" } },
///   "issues": { "Url": "https://mcp.example.com/mcp", "Headers": { "Authorization": "Bearer ..." }, "CallTimeoutSeconds": 10 }
/// } }
/// </code>
/// As environment variables: <c>Mcp__Servers__files__Command=dotnet</c>, <c>Mcp__Servers__files__Arguments__0=McpFiles.dll</c>.
/// </example>
public sealed class McpOptions
{
    /// <summary>The configuration section, <c>Mcp</c>.</summary>
    public const string SectionName = "Mcp";

    /// <summary>
    /// Gets the servers by name (<c>Mcp:Servers:{name}</c>). A name is 1 to 64 letters, digits, <c>_</c> or <c>-</c>;
    /// an assistant's <c>config.configurable.mcp_servers</c> names servers by it. Default is none.
    /// </summary>
    public Dictionary<string, McpServerOptions> Servers { get; } = new(StringComparer.Ordinal);
}
