using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using static Agent.Benchmarks.BenchmarkOutput;
using static Agent.Benchmarks.Distribution;

namespace Agent.Benchmarks.Processes;

/// <summary>
/// The whole system, real processes: 1 API and 2 workers (16 slots each), RabbitMQ, PostgreSQL, the fake model at
/// 0 ms and an instant tool (<see cref="BenchSystem.InstantToolRounds"/>: runs of 11 steps, 5 tool rounds). First
/// sequential runs (one at a time): the orchestration per step, from the runs' own records (commit to commit minus the
/// step's model or tool call). Then 32 runs kept in flight through the API (a closed loop): steps/s over the steady
/// state, with the CPU each process used. See BENCHMARKS.md, "Throughput".
/// </summary>
[TestFixture]
[Explicit("Benchmark: deploy/local/bench.sh runs it")]
[Category("Benchmark")]
[NonParallelizable]
public sealed class Throughput_benchmark
{
    private const int InFlight = 32;
    private const int Workers = 2;
    private const int SlotsPerWorker = 16;

    private const string CpuWorkers = "workers";
    private const string CpuWorkersJit = "workers' background JIT";
    private const string CpuApi = "api";
    private const string CpuBench = "fake model + bench";
    private const string CpuPostgres = "postgres";

    [Test]
    public async Task Measures_orchestration_per_step_and_steps_per_second_through_the_whole_system()
    {
        await using var bench = await BenchSystem.StartAsync(slots: SlotsPerWorker);
        bench.Model.Script(BenchSystem.InstantToolRounds(await bench.AnyDocumentIdAsync()));
        await bench.StartWorkersAsync(Workers - 1, SlotsPerWorker);

        // Warm-up: fresh processes JIT-compile their paths for seconds; the closed loop keeps every slot busy meanwhile.
        await bench.WaitForRunsToEndAsync(
            await bench.DriveAsync(InFlight, TimeSpan.FromSeconds(Pick(4, 10)), BenchSystem.Question), TimeSpan.FromMinutes(5));

        // Sequential runs: one run in the system at a time.
        var sequentialIds = new List<Guid>();
        using (var client = bench.System.Client())
        {
            for (var i = 0; i < Pick(8, 40); i++)
            {
                var runId = await BenchSystem.SubmitAsync(client, BenchSystem.Question(i));
                await bench.WaitForRunsToEndAsync([runId], TimeSpan.FromMinutes(1));
                sequentialIds.Add(runId);
            }
        }

        var sequential = await RunRecords.ReadAsync(bench.Queries, sequentialIds);
        var overhead = Of(sequential.StepOverheadMs(DateTimeOffset.MinValue, DateTimeOffset.MaxValue));
        var sequentialDuration = Of(sequential.Runs.Select(r => (r.EndedAt - r.StartedAt).TotalMilliseconds));

        // 32 runs in flight for a while; the steady state leaves out the first fifth (the loop filling up).
        IReadOnlyList<Guid> loadIds;
        DateTimeOffset from, to;
        IReadOnlyDictionary<string, double?> cpuMs;
        await using (var cpu = CpuSampler.Start(
                         (CpuWorkers, CpuSampler.ChildProcesses("Agent.Worker.dll")),
                         (CpuWorkersJit, CpuSampler.ChildProcesses("Agent.Worker.dll", jitOnly: true)),
                         (CpuApi, CpuSampler.ChildProcesses("Agent.Api.dll")),
                         (CpuBench, CpuSampler.ThisProcessAsync),
                         (CpuPostgres, CpuSampler.Backends(
                             bench.Queries, "datname = $1 AND application_name <> $2", bench.System.Database.Name, BenchSystem.QueriesApplicationName))))
        {
            var duration = TimeSpan.FromSeconds(Pick(6, 30));
            var started = DateTimeOffset.UtcNow;
            loadIds = await bench.DriveAsync(InFlight, duration, BenchSystem.Question);
            (from, to) = (started + (duration / 5), DateTimeOffset.UtcNow);
            // Read once the sampler has sampled past the window's end.
            await bench.WaitForRunsToEndAsync(loadIds, TimeSpan.FromMinutes(5));
            cpuMs = cpu.Between(from, to);
        }

        var load = await RunRecords.ReadAsync(bench.Queries, loadIds);
        bench.KillWorkers();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sequential.Runs.Concat(load.Runs).Select(r => r.Status), Is.All.EqualTo(AgentRunStatus.Success));
            Assert.That(sequential.Steps, Has.Count.EqualTo(sequentialIds.Count * 11), "11 steps per run: 5 tool rounds and the answer");
        }

        Report(overhead, sequentialDuration, sequentialIds.Count, load, from, to, cpuMs);
    }

    private static void Report(
        Distribution overhead, Distribution sequentialDuration, int sequentialRuns, RunRecords load, DateTimeOffset from, DateTimeOffset to,
        IReadOnlyDictionary<string, double?> cpuMs)
    {
        var (runsPerSecond, stepsPerSecond, steps) = load.Throughput(from, to);
        var seconds = (to - from).TotalSeconds;
        string Cores(string name) => cpuMs[name] is { } ms ? (ms / seconds / 1000).ToString("0.00", CultureInfo.InvariantCulture) : "?";
        string PerStep(string name) => cpuMs[name] is { } ms ? Format(ms / steps) : "?";
        var loadOverhead = Of(load.StepOverheadMs(from, to));

        var md = new StringBuilder();
        md.Append("## Through the whole system (real processes: 1 API, 2 workers x 16 slots, RabbitMQ, PostgreSQL)\n\n");
        md.Append("The fake OpenAI-compatible model answers at once over HTTP; the tool is `read_document` (one page, at most 1,000 ");
        md.Append("characters: two indexed reads). A run is 11 steps (5 tool rounds and the answer), as in issue 13. Orchestration per ");
        md.Append("step, from the runs' own records: the time between consecutive checkpoint commits minus the step's model or tool call ");
        md.Append("latency as the worker measured it (the first step, after the claim and state load, is left out).\n\n");
        md.Append("| measurement | runs | steps/s | runs/s | run duration p50 ms | orchestration per step p50 / p90 / p99 ms |\n");
        md.Append("|---|---|---|---|---|---|\n");
        md.Append($"| sequential (1 run at a time) | {sequentialRuns} | | | {Format(sequentialDuration.P50)} | ");
        md.Append($"{Format(overhead.P50)} / {Format(overhead.P90)} / {Format(overhead.P99)} |\n");
        var loadDuration = Of(load.Runs.Where(r => r.StartedAt >= from && r.StartedAt <= to).Select(r => (r.EndedAt - r.StartedAt).TotalMilliseconds));
        md.Append($"| {InFlight} runs in flight, steady state ({seconds:0.0} s) | {load.Runs.Count} | {Format(stepsPerSecond)} | {Format(runsPerSecond)} | ");
        md.Append($"{Format(loadDuration.P50)} | {Format(loadOverhead.P50)} / {Format(loadOverhead.P90)} / {Format(loadOverhead.P99)} |\n\n");
        md.Append($"CPU over the {InFlight}-in-flight steady state (2 cores: 2.00 at most), in cores busy and in ms per step: ");
        md.Append($"workers {Cores(CpuWorkers)} ({PerStep(CpuWorkers)} ms/step, of which their background JIT {Cores(CpuWorkersJit)} cores), ");
        md.Append($"API {Cores(CpuApi)} ({PerStep(CpuApi)}), fake model and benchmark client {Cores(CpuBench)} ({PerStep(CpuBench)}), ");
        md.Append($"PostgreSQL backends of the system's database {Cores(CpuPostgres)} ({PerStep(CpuPostgres)}); WAL writer, checkpointer ");
        md.Append("and RabbitMQ not counted.\n");

        Write(
            "2-throughput",
            new JsonObject
            {
                ["sequential_runs"] = sequentialRuns,
                ["sequential_orchestration_per_step_ms"] = overhead.ToJson(),
                ["sequential_run_duration_ms"] = sequentialDuration.ToJson(),
                ["in_flight"] = InFlight,
                ["window_seconds"] = Math.Round(seconds, 3),
                ["runs"] = load.Runs.Count,
                ["steps_per_second"] = Math.Round(stepsPerSecond, 1),
                ["runs_per_second"] = Math.Round(runsPerSecond, 2),
                ["load_orchestration_per_step_ms"] = loadOverhead.ToJson(),
                ["cpu_ms_in_window"] = new JsonObject([.. cpuMs.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)(c.Value is { } v ? Math.Round(v, 1) : null)))]),
            },
            md.ToString(),
            [Goals.OrchestrationSystem(overhead.P50), Goals.StepsPerSecond(stepsPerSecond)]);
    }
}
