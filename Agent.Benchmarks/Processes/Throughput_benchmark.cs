using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using static Agent.Benchmarks.BenchmarkOutput;
using static Agent.Benchmarks.Distribution;

namespace Agent.Benchmarks.Processes;

/// <summary>
/// Runs/s and steps/s of real worker processes (one or two) at several slot counts, with the fake model answering at
/// once and at a realistic latency. After a warm-up (fresh worker processes JIT-compile their paths for seconds), a
/// batch of runs is submitted through the API faster than the workers take them, and throughput and CPU are measured
/// over the batch's steady state (every slot busy, the queue not empty). See BENCHMARKS.md, "Throughput".
/// </summary>
[TestFixture]
[Explicit("Benchmark: deploy/local/bench.sh runs it")]
[Category("Benchmark")]
[NonParallelizable]
public sealed class Throughput_benchmark
{
    /// <summary>The realistic model latency: 500 ms per call, a small model answering a short tool call or answer.</summary>
    public const int RealisticLatencyMs = 500;

    private const string CpuWorkers = "workers";
    private const string CpuWorkersJit = "workers' background JIT";
    private const string CpuApi = "api";
    private const string CpuBench = "fake model + bench";
    private const string CpuPostgres = "postgres";

    [Test]
    public async Task Measures_runs_and_steps_per_second_by_worker_and_slot_count()
    {
        (int Workers, int Slots, int LatencyMs)[] configurations = Pick<(int, int, int)[]>(
            [(1, 1, 0), (2, 4, 0), (2, 4, RealisticLatencyMs)],
            [.. from latency in new[] { 0, RealisticLatencyMs } from workers in new[] { 1, 2 } from slots in new[] { 1, 4, 16 } select (workers, slots, latency)]);
        var results = new List<Result>();
        var warmUp = TimeSpan.FromSeconds(Pick(3, 8));
        await using var bench = await BenchSystem.StartAsync(slots: 1);
        foreach (var (workers, slots, latencyMs) in configurations)
        {
            bench.KillWorkers();
            bench.Model.Latency = TimeSpan.FromMilliseconds(latencyMs);
            await bench.StartWorkersAsync(workers, slots);
            await using var cpu = CpuSampler.Start(
                (CpuWorkers, CpuSampler.ChildProcesses("Agent.Worker.dll")),
                (CpuWorkersJit, CpuSampler.ChildProcesses("Agent.Worker.dll", jitOnly: true)),
                (CpuApi, CpuSampler.ChildProcesses("Agent.Api.dll")),
                (CpuBench, CpuSampler.ThisProcessAsync),
                (CpuPostgres, CpuSampler.Backends(
                    bench.Queries, "datname = $1 AND application_name <> $2", bench.System.Database.Name, BenchSystem.QueriesApplicationName)));
            // Warm-up: fresh worker processes JIT-compile their paths for seconds; a closed loop keeps them busy meanwhile.
            await bench.WaitForRunsToEndAsync(
                await bench.DriveAsync(Math.Max(4, 2 * workers * slots), warmUp, BenchSystem.Question), TimeSpan.FromMinutes(5));
            // Then a batch submitted at once, faster than the workers take it: they never wait for work.
            var runs = latencyMs == 0 ? Pick(60, 300) : Math.Max(Pick(6, 10), workers * slots * Pick(3, 6));
            var runIds = await bench.SubmitManyAsync(runs, BenchSystem.Question);
            await bench.WaitForRunsToEndAsync(runIds, TimeSpan.FromMinutes(10));
            var records = await RunRecords.ReadAsync(bench.Queries, runIds);
            var (from, to) = records.SteadyWindow();
            results.Add(new Result(workers, slots, latencyMs, from, to, records, cpu.Between(from, to)));
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
        md.Append($"Model latency 0 ms, and {RealisticLatencyMs} ms per call. After a warm-up, a batch of runs is submitted through the API at once; ");
        md.Append("measured over its steady state (from 10 % of its steps to the start of its last run). ");
        md.Append("\"Step overhead\" is from the runs' own records: time between consecutive checkpoint commits minus the step's call latency. ");
        md.Append("CPU over the same window, in cores busy (2 cores: 2.0 at most): worker processes, the API process (it accepts the runs ");
        md.Append("and receives every event), this process (the fake model server and the benchmark's client), the PostgreSQL backends of ");
        md.Append("the system's database; and all of it per step, without the workers' background JIT thread (tiered recompilation ");
        md.Append("of hot methods, a warm-up cost: the workers are fresh processes for each row), whose share is in parentheses.\n\n");
        md.Append("| workers x slots | model latency | runs | runs/s | steps/s | run duration p50 ms | step overhead p50 / p99 ms | cores: workers (JIT) / API / model+bench / PostgreSQL | CPU ms per step, JIT excluded |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|\n");
        var raw = new JsonArray();
        foreach (var result in results)
        {
            var (runsPerSecond, stepsPerSecond, steps) = result.Records.Throughput(result.From, result.To);
            var seconds = (result.To - result.From).TotalSeconds;
            string Cores(string name) => result.CpuMs[name] is { } ms ? (ms / seconds / 1000).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "?";
            var perStep = (result.CpuMs.Where(c => c.Key != CpuWorkersJit).Sum(c => c.Value ?? 0) - (result.CpuMs[CpuWorkersJit] ?? 0)) / steps;
            var duration = Of(result.Records.Runs.Where(r => r.StartedAt >= result.From && r.StartedAt <= result.To)
                .Select(r => (r.EndedAt - r.StartedAt).TotalMilliseconds));
            var overhead = Of(result.Records.StepOverheadMs(result.From, result.To));
            md.Append($"| {result.Workers} x {result.Slots} | {result.LatencyMs} ms | {result.Records.Runs.Count} | {Format(runsPerSecond)} | ");
            md.Append($"{Format(stepsPerSecond)} | {Format(duration.P50)} | {Format(overhead.P50)} / {Format(overhead.P99)} | ");
            md.Append($"{Cores(CpuWorkers)} ({Cores(CpuWorkersJit)}) / {Cores(CpuApi)} / {Cores(CpuBench)} / {Cores(CpuPostgres)} | {Format(perStep)} |\n");
            raw.Add(new JsonObject
            {
                ["workers"] = result.Workers,
                ["slots"] = result.Slots,
                ["model_latency_ms"] = result.LatencyMs,
                ["runs"] = result.Records.Runs.Count,
                ["window_seconds"] = Math.Round((result.To - result.From).TotalSeconds, 3),
                ["cpu_ms_in_window"] = new JsonObject([.. result.CpuMs.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)(c.Value is { } v ? Math.Round(v, 1) : null)))]),
                ["runs_per_second"] = Math.Round(runsPerSecond, 2),
                ["steps_per_second"] = Math.Round(stepsPerSecond, 1),
                ["run_duration_ms"] = duration.ToJson(),
                ["step_overhead_ms"] = overhead.ToJson(),
            });
        }

        var best = results.Where(r => r.LatencyMs == 0)
            .Select(r => (r, r.Records.Throughput(r.From, r.To).StepsPerSecond)).MaxBy(x => x.StepsPerSecond);
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

    private sealed record Result(
        int Workers, int Slots, int LatencyMs, DateTimeOffset From, DateTimeOffset To, RunRecords Records, IReadOnlyDictionary<string, double?> CpuMs);
}
