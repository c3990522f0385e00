using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using static Agent.Tests.Benchmarks.BenchmarkOutput;
using static Agent.Tests.Benchmarks.Distribution;

namespace Agent.Tests.Benchmarks.Processes;

/// <summary>
/// Runs/s and steps/s of real worker processes (one or two) at several slot counts, with the fake model answering at
/// once and at a realistic latency. The queue is filled before the workers start, so they never wait for work.
/// See BENCHMARKS.md, "Throughput".
/// </summary>
[TestFixture]
[Explicit("Benchmark: deploy/local/bench.sh runs it")]
[Category("Benchmark")]
[NonParallelizable]
public sealed class Throughput_benchmark
{
    /// <summary>The realistic model latency: 500 ms per call, a small model answering a short tool call or answer.</summary>
    public const int RealisticLatencyMs = 500;

    private static readonly string[] Questions =
    [
        "How do I create a GIN index on a tsvector column?", "What does VACUUM do?", "Which index types does PostgreSQL have?",
        "How do I select distinct rows?", "What is a text search configuration?",
    ];

    [Test]
    public async Task Measures_runs_and_steps_per_second_by_worker_and_slot_count()
    {
        (int Workers, int Slots, int LatencyMs)[] configurations = Pick<(int, int, int)[]>(
            [(1, 1, 0), (2, 4, 0), (2, 4, RealisticLatencyMs)],
            [.. from latency in new[] { 0, RealisticLatencyMs } from workers in new[] { 1, 2 } from slots in new[] { 1, 4, 16 } select (workers, slots, latency)]);
        var results = new List<Result>();
        await using var bench = await BenchSystem.StartAsync(slots: 1);
        foreach (var (workers, slots, latencyMs) in configurations)
        {
            bench.KillWorkers();
            bench.Model.Latency = TimeSpan.FromMilliseconds(latencyMs);
            var runs = latencyMs == 0 ? Pick(60, 300) : Math.Max(Pick(6, 10), workers * slots * Pick(3, 6));
            var runIds = await bench.SubmitManyAsync(runs, i => Questions[i % Questions.Length]);
            await bench.StartWorkersAsync(workers, slots);
            await bench.WaitForRunsToEndAsync(runIds, TimeSpan.FromMinutes(10));
            var records = await RunRecords.ReadAsync(bench.System.Database.DataSource, runIds);
            results.Add(new Result(workers, slots, latencyMs, records));
        }

        bench.KillWorkers();
        Assert.That(results.SelectMany(r => r.Records.Runs).Select(r => r.Status), Is.All.EqualTo(AgentRunStatus.Success));
        Report(results);
    }

    private static void Report(List<Result> results)
    {
        var md = new StringBuilder();
        md.Append("## Throughput (real API and worker processes, fake OpenAI-compatible model over HTTP)\n\n");
        md.Append("A run is 3 steps: model (tool call), tools (full-text search of the ingested manual pages), model (answer). ");
        md.Append($"Model latency 0 ms, and {RealisticLatencyMs} ms per call. Steady-state window (see the method). ");
        md.Append("\"Step overhead\" is from the runs' own records: time between consecutive checkpoint commits minus the step's call latency.\n\n");
        md.Append("| workers x slots | model latency | runs | runs/s | steps/s | run duration p50 ms | step overhead p50 / p99 ms |\n");
        md.Append("|---|---|---|---|---|---|---|\n");
        var raw = new JsonArray();
        foreach (var result in results)
        {
            var (runsPerSecond, stepsPerSecond, window) = result.Records.Throughput();
            var duration = Of(result.Records.Runs.Select(r => (r.EndedAt - r.StartedAt).TotalMilliseconds));
            var overhead = Of(result.Records.StepOverheadMs());
            md.Append($"| {result.Workers} x {result.Slots} | {result.LatencyMs} ms | {result.Records.Runs.Count} | {Format(runsPerSecond)} | ");
            md.Append($"{Format(stepsPerSecond)} | {Format(duration.P50)} | {Format(overhead.P50)} / {Format(overhead.P99)} |\n");
            raw.Add(new JsonObject
            {
                ["workers"] = result.Workers,
                ["slots"] = result.Slots,
                ["model_latency_ms"] = result.LatencyMs,
                ["runs"] = result.Records.Runs.Count,
                ["window_seconds"] = Math.Round(window, 3),
                ["runs_per_second"] = Math.Round(runsPerSecond, 2),
                ["steps_per_second"] = Math.Round(stepsPerSecond, 1),
                ["run_duration_ms"] = duration.ToJson(),
                ["step_overhead_ms"] = overhead.ToJson(),
            });
        }

        var best = results.Where(r => r.LatencyMs == 0).Select(r => (r, r.Records.Throughput().StepsPerSecond)).MaxBy(x => x.StepsPerSecond);
        Write(
            "2-throughput",
            new JsonObject { ["realistic_latency_ms"] = RealisticLatencyMs, ["configurations"] = raw },
            md.ToString(),
            [
                new GoalRow(
                    "checkpointed steps/s, 0 ms model over HTTP (real processes)",
                    "≥ 1,000",
                    $"{Format(best.StepsPerSecond)} at {best.r.Workers} x {best.r.Slots}",
                    best.StepsPerSecond >= 1000),
            ]);
    }

    private sealed record Result(int Workers, int Slots, int LatencyMs, RunRecords Records);
}
