using System.Text.Json;
using Agent.Worker.Tools;

namespace Agent.Tests.Fakes;

/// <summary>
/// A test tool named <c>search_documents</c> that echoes its query and records each invocation.
/// </summary>
internal sealed class EchoTool : IAgentTool
{
    private readonly List<ToolInvocation> invocations = [];

    /// <inheritdoc />
    public string Name => "search_documents";

    /// <inheritdoc />
    public string Description => "Echoes the query (test tool).";

    /// <inheritdoc />
    public JsonElement ParametersSchema { get; } =
        JsonSerializer.SerializeToElement(new { type = "object", properties = new { query = new { type = "string" } }, required = new[] { "query" } });

    /// <summary>Gets the invocations, in order.</summary>
    public IReadOnlyList<ToolInvocation> Invocations => invocations;

    /// <inheritdoc />
    public Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken)
    {
        if (!arguments.TryGetProperty("query", out var query) || query.ValueKind != JsonValueKind.String)
        {
            throw new ToolArgumentException("query is required.");
        }

        lock (invocations)
        {
            invocations.Add(invocation);
        }

        return Task.FromResult(JsonSerializer.Serialize(new { echo = query.GetString() }));
    }
}
