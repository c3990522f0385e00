using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Tests.Infrastructure;

namespace Agent.Benchmarks;

/// <summary>
/// Where a benchmark's settings come from and where its results go. <c>deploy/local/bench.sh</c> sets
/// <c>AGENT_BENCH_QUICK=1</c> for <c>--quick</c> and <c>AGENT_BENCH_OUT</c> (default <c>.local/bench/</c>); each
/// benchmark writes <c>{name}.json</c> (raw samples and summaries), <c>{name}.md</c> (its section of the report) and
/// <c>{name}.goals.md</c> (its rows of the goals table), which bench.sh assembles into <c>summary.md</c>.
/// </summary>
internal static class BenchmarkOutput
{
    /// <summary>Gets a value indicating whether this is a quick run (<c>AGENT_BENCH_QUICK=1</c>): fewer samples, to check the harness.</summary>
    public static bool Quick { get; } = Environment.GetEnvironmentVariable("AGENT_BENCH_QUICK") == "1";

    /// <summary>Gets the results directory: <c>AGENT_BENCH_OUT</c>, default <c>{repository}/.local/bench</c>.</summary>
    public static string Directory { get; } =
        Environment.GetEnvironmentVariable("AGENT_BENCH_OUT") ?? Path.Combine(TestEnvironment.RepositoryRoot, ".local", "bench");

    /// <summary>Picks the sample size of the current mode.</summary>
    /// <typeparam name="T">The type of the setting.</typeparam>
    /// <param name="quick">The value for <c>--quick</c>.</param>
    /// <param name="full">The value for a full run.</param>
    /// <returns>The value for this run.</returns>
    public static T Pick<T>(T quick, T full) => Quick ? quick : full;

    /// <summary>Writes a benchmark's raw results, its report section and its goal rows.</summary>
    /// <param name="name">The file name stem, e.g. <c>1-step-overhead</c> (bench.sh orders sections by it).</param>
    /// <param name="raw">The raw results.</param>
    /// <param name="markdown">The report section (markdown, starting with a <c>##</c> heading).</param>
    /// <param name="goals">Rows of the goals table: goal, target, measured, met.</param>
    public static void Write(string name, JsonObject raw, string markdown, IEnumerable<GoalRow> goals)
    {
        System.IO.Directory.CreateDirectory(Directory);
        raw["quick"] = Quick;
        raw["written_at"] = DateTimeOffset.UtcNow.ToString("O");
        File.WriteAllText(
            Path.Combine(Directory, name + ".json"), raw.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllText(Path.Combine(Directory, name + ".md"), markdown.TrimEnd() + "\n");
        var rows = new StringBuilder();
        foreach (var goal in goals)
        {
            rows.Append($"| {goal.Goal} | {goal.Target} | {goal.Measured} | {(goal.Met ? "met" : "**missed**")} |\n");
        }

        File.WriteAllText(Path.Combine(Directory, name + ".goals.md"), rows.ToString());
        TestContext.Out.WriteLine(markdown);
    }
}

/// <summary>One row of the goals table in BENCHMARKS.md.</summary>
/// <param name="Goal">What is measured, e.g. "per-step overhead p50 (0 ms model)".</param>
/// <param name="Target">The goal, e.g. "≤ 1 ms".</param>
/// <param name="Measured">The figure measured, with its unit.</param>
/// <param name="Met">Whether the figure meets the goal.</param>
internal sealed record GoalRow(string Goal, string Target, string Measured, bool Met);
