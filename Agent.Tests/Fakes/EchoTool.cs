using System.Text.Json;
using Agent.Worker.Tools;

namespace Agent.Tests.Fakes;

/// <summary>
/// A test tool named <c>search_documents</c> that echoes its query and records each invocation.
/// </summary>
internal sealed class EchoTool : IAgentTool
{
    private readonly List<ToolInvocation> invocations = [];
    private int attempts;

    /// <inheritdoc />
    public string Name => "search_documents";

    /// <inheritdoc />
    public string Description => "Echoes the query (test tool).";

    /// <inheritdoc />
    public JsonElement ParametersSchema { get; } =
        JsonSerializer.SerializeToElement(new { type = "object", properties = new { query = new { type = "string" } }, required = new[] { "query" } });

    /// <summary>Gets the invocations, in order.</summary>
    public IReadOnlyList<ToolInvocation> Invocations => invocations;

    /// <summary>
    /// Gets or sets a hook called before each invocation with its index (0-based, counting failed ones) and token; it
    /// may throw (a transient failure) or wait (a slow tool). Invocations that throw are not recorded.
    /// </summary>
    public Func<int, CancellationToken, Task>? BeforeInvoke { get; set; }

    /// <summary>Gets how many times the tool was invoked, failed attempts included.</summary>
    public int Attempts => attempts;

    /// <inheritdoc />
    public async Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var attempt = Interlocked.Increment(ref attempts) - 1;
        if (BeforeInvoke is not null)
        {
            await BeforeInvoke(attempt, cancellationToken);
        }

        if (!arguments.TryGetProperty("query", out var query) || query.ValueKind != JsonValueKind.String)
        {
            throw new ToolArgumentException("query is required.");
        }

        lock (invocations)
        {
            invocations.Add(invocation);
        }

        return JsonSerializer.Serialize(new { echo = query.GetString() });
    }
}
