using System.Diagnostics;
using System.Text.Json;
using Agent.Worker.Tools;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// An instant tool that returns its query with a 1 KB passage (about one search result), so a tool step's checkpoint
/// is the size of a real one. Each call is timed into the <see cref="StepProbe"/>.
/// </summary>
/// <param name="probe">Records each call.</param>
internal sealed class EchoPassageTool(StepProbe probe) : IAgentTool
{
    /// <summary>The tool's name.</summary>
    public const string ToolName = "bench_echo";

    private static readonly string Passage = string.Concat(Enumerable.Repeat("VACUUM reclaims storage occupied by dead tuples. ", 21))[..1024];

    /// <inheritdoc />
    public string Name => ToolName;

    /// <inheritdoc />
    public string Description => "Echoes the query with a 1 KB passage (benchmark tool).";

    /// <inheritdoc />
    public JsonElement ParametersSchema { get; } =
        JsonSerializer.SerializeToElement(new { type = "object", properties = new { query = new { type = "string" } }, required = new[] { "query" } });

    /// <inheritdoc />
    public Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = JsonSerializer.Serialize(new { query = arguments.GetProperty("query").GetString(), passage = Passage });
        probe.Action(invocation.RunId, "tool", started, Stopwatch.GetTimestamp());
        return Task.FromResult(result);
    }
}
