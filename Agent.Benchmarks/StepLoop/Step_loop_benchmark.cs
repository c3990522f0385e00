using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Agent.Tests.Infrastructure;
using static Agent.Benchmarks.BenchmarkOutput;
using static Agent.Benchmarks.Distribution;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// Per-step orchestration overhead and the step loop's throughput, with an instant model (0 ms), inside one process
/// so that every call, commit and publish can be timed; the same runs again with persistence turned off give the
/// ratio. See BENCHMARKS.md, "Per-step overhead".
/// </summary>
[TestFixture]
[Explicit("Benchmark: deploy/local/bench.sh runs it")]
[Category("Benchmark")]
[NonParallelizable]
public sealed class Step_loop_benchmark
{
    /// <summary>Tool rounds per run: 11 steps (agent, tools) x 5 + agent, plus the input checkpoint.</summary>
    private const int ToolRounds = 5;

    private const int CallsPerRun = (2 * ToolRounds) + 1;

    private static readonly TimeSpan BatchTimeout = TimeSpan.FromMinutes(5);

    [Test]
    public async Task Measures_per_step_overhead_and_loop_throughput_with_and_without_persistence()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using (var context = database.CreateContext())
        {
            await new AgentDatabaseMigrator(context, TimeProvider.System).MigrateAsync(CancellationToken.None);
        }

        var queue = "agent-runs-bench-" + Guid.NewGuid().ToString("N")[..8];
        var probe = new StepProbe();
        var batches = new List<Batch>();
        var commitCost = CommitCost.Shapes.ToDictionary(s => s, _ => new List<(List<double> WallMs, double CpuMs)>());
        var idleCpu = new List<double>();
        async Task MeasureCommitCostAsync()
        {
            var (shapes, idle) = await CommitCost.MeasureAsync(database, Pick(100, 300));
            foreach (var (shape, result) in shapes)
            {
                commitCost[shape].Add(result);
            }

            idleCpu.Add(idle);
        }

        try
        {
            // Once unrecorded: the JIT's background recompilation of the hot paths runs for a while after their first use.
            await CommitCost.MeasureAsync(database, Pick(50, 100));
            await MeasureCommitCostAsync();
            // Warm-up: JIT, connection pools, the queue's declaration. Not reported.
            await RunBatchAsync(database, queue, probe, slots: 1, persist: true, runs: Pick(10, 20));
            foreach (var slots in Pick<int[]>([1, 16], [1, 4, 16, 32]))
            {
                var repeats = slots == 1 ? Pick(2, 4) : Pick(1, 2);
                var runs = slots == 1 ? Pick(20, 50) : Pick(80, 240);
                for (var repeat = 0; repeat < repeats; repeat++)
                {
                    // Alternating on and off spreads the machine's noise over both.
                    foreach (var persist in new[] { true, false })
                    {
                        batches.Add(await RunBatchAsync(database, queue, probe, slots, persist, runs));
                    }
                }
            }

            await MeasureCommitCostAsync();
        }
        finally
        {
            await BenchQueues.DeleteAsync(queue);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(
                batches.Sum(b => b.FailedRuns),
                Is.Zero,
                "every run must end success with all its steps; failed: " + string.Join("; ", batches.Where(b => b.FailedRuns > 0).Select(b =>
                    $"{b.Slots} slots, persistence {(b.Persist ? "on" : "off")}: " +
                    string.Join(", ", b.Failures.GroupBy(f => f).Select(g => $"{g.Count()} x {g.Key}")))));
            Assert.That(batches.All(b => b.StepGaps.Count == b.Runs * (CallsPerRun - 1)), Is.True, "every step gap must be observed");
        }

        Report(batches, commitCost, idleCpu);
    }

    private static async Task<Batch> RunBatchAsync(TestDatabase database, string queue, StepProbe probe, int slots, bool persist, int runs)
    {
        probe.Persist = persist;
        var runIds = await StepLoopRuns.QueueAsync(database, queue, runs);
        probe.Reset(runIds);
        await using var cpu = CpuSampler.Start(
            ("worker", CpuSampler.ThisProcessAsync),
            ("postgres", CpuSampler.Backends(database.DataSource, "application_name = $1", InProcessWorker.ApplicationName)));
        await using (await InProcessWorker.StartAsync(database, queue, slots, probe, ToolRounds))
        {
            await probe.WaitForRunsAsync(BatchTimeout);
        }

        if (!persist)
        {
            // Nothing of these runs reached PostgreSQL: end them there, or a later batch's sweeper would run them again.
            await StepLoopRuns.EndAsync(database, runIds);
        }

        var batch = Batch.Analyse(slots, persist, probe.Runs);
        var used = cpu.Between(batch.WindowStart, batch.WindowEnd);
        return batch with
        {
            WorkerCpuPerStepMs = used["worker"]!.Value / batch.StepsInWindow,
            DatabaseCpuPerStepMs = used["postgres"] / batch.StepsInWindow,
        };
    }

    private static void Report(List<Batch> batches, Dictionary<string, List<(List<double> WallMs, double CpuMs)>> commitCost, List<double> idleCpu)
    {
        var slotCounts = batches.Select(b => b.Slots).Distinct().Order().ToList();
        Distribution Gaps(int slots, bool persist) =>
            Of(batches.Where(b => b.Slots == slots && b.Persist == persist).SelectMany(b => b.StepGaps));
        double Median(int slots, bool persist, Func<Batch, double> figure) =>
            Of(batches.Where(b => b.Slots == slots && b.Persist == persist).Select(figure)).P50;

        var on = Gaps(1, persist: true);
        var off = Gaps(1, persist: false);
        var single = batches.Where(b => b.Slots == 1 && b.Persist).ToList();
        var commit = Of(single.SelectMany(b => b.CommitMs));
        var database = Of(single.SelectMany(b => b.DatabaseMs));
        var client = Of(single.SelectMany(b => b.CommitMs.Zip(b.DatabaseMs, (c, d) => c - d)));
        var publish = Of(single.SelectMany(b => b.PublishMs));
        var rest = Of(single.SelectMany(b => b.RestMs));
        var runEnd = Of(single.SelectMany(b => b.RunEndMs));
        var roundTrips = Of(single.SelectMany(b => b.RoundTrips));

        var md = new StringBuilder();
        md.Append("## Per-step overhead and step-loop throughput (in-process worker, instant model)\n\n");
        md.Append($"Runs of {CallsPerRun} steps ({ToolRounds} tool rounds, 1 KB tool results); the gap between one model/tool call's end ");
        md.Append("and the next call's start, which holds the step's checkpoint commit and the loop's own work (the event publish runs in the background, overlapping them). ");
        md.Append("Persistence off: the same runs with step commits answered in memory.\n\n");
        md.Append("| 1 slot | steps | p50 ms | p90 ms | p99 ms | max ms | mean ms |\n|---|---|---|---|---|---|---|\n");
        foreach (var (label, d) in new[] { ("persistence on", on), ("persistence off", off) })
        {
            md.Append($"| {label} | {d.Count} | {Format(d.P50)} | {Format(d.P90)} | {Format(d.P99)} | {Format(d.Max)} | {Format(d.Mean)} |\n");
        }

        md.Append($"| ratio on/off | | {Format(on.P50 / off.P50)}x | {Format(on.P90 / off.P90)}x | {Format(on.P99 / off.P99)}x | | {Format(on.Mean / off.Mean)}x |\n\n");
        md.Append("Where a step's time goes (1 slot, persistence on):\n\n| part | p50 ms | p99 ms | mean ms |\n|---|---|---|---|\n");
        foreach (var (label, d) in new[]
                 {
                     ("checkpoint commit (RunLifecycle.CommitStepAsync: one statement)", commit),
                     ("- of which waiting on PostgreSQL (EF-reported command and COMMIT durations)", database),
                     ("- of which EF Core and Npgsql client work", client),
                     ("event publish (send to broker confirm; in the background, overlapping the rest: not in the sum)", publish),
                     ("the rest (build checkpoint JSON, fold, next node, logging, scheduling)", rest),
                     ("whole step gap", on),
                     ("run end (last step's commit + terminal status commit)", runEnd),
                 })
        {
            md.Append($"| {label} | {Format(d.P50)} | {Format(d.P99)} | {Format(d.Mean)} |\n");
        }

        md.Append($"\nRound trips to PostgreSQL per step commit (commands sent and COMMITs, counted by an EF Core interceptor): ");
        md.Append($"mean {Format(roundTrips.Mean)}, p50 {Format(roundTrips.P50)}, max {Format(roundTrips.Max)}.\n");

        md.Append("\nA step's writes alone, before and after the batches (one client, sequential, 1 KB delta and event; hand-written ");
        md.Append("ones on scratch tables of the same shape). CPU is this process's per write, from the last round (the JIT's recompilation done), its idle ");
        md.Append($"background ({Format(idleCpu[^1])} ms of CPU per second, measured right after) included:\n\n");
        md.Append("| write | p50 ms | p99 ms | mean ms | CPU ms per write |\n|---|---|---|---|---|\n");
        foreach (var (shape, results) in commitCost)
        {
            var wall = Of(results.SelectMany(r => r.WallMs));
            md.Append($"| {shape} | {Format(wall.P50)} | {Format(wall.P99)} | {Format(wall.Mean)} | {Format(results[^1].CpuMs)} |\n");
        }

        md.Append("\nBy runs in flight. CPU per step: the worker process's, and the PostgreSQL backends' serving its connections ");
        md.Append("(/proc; WAL writer and checkpointer not counted); persistence on. CPU time is distorted far less than wall time by ");
        md.Append("the machine's other load: 2 cores give at most 2,000 ms of CPU per second.\n\n");
        md.Append("| slots (runs in flight) | steps/s on | steps/s off | runs/s on | step gap p50 / p99 ms on | p50 / p99 ms off | CPU ms/step: worker + PostgreSQL |\n");
        md.Append("|---|---|---|---|---|---|---|\n");
        foreach (var slots in slotCounts)
        {
            var gapsOn = Gaps(slots, persist: true);
            var gapsOff = Gaps(slots, persist: false);
            md.Append($"| {slots} | {Format(Median(slots, true, b => b.StepsPerSecond))} | {Format(Median(slots, false, b => b.StepsPerSecond))} | ");
            md.Append($"{Format(Median(slots, true, b => b.RunsPerSecond))} | {Format(gapsOn.P50)} / {Format(gapsOn.P99)} | {Format(gapsOff.P50)} / {Format(gapsOff.P99)} | ");
            md.Append($"{Format(Median(slots, true, b => b.WorkerCpuPerStepMs))} + {Format(Median(slots, true, b => b.DatabaseCpuPerStepMs ?? double.NaN))} |\n");
        }

        var raw = new JsonObject
        {
            ["tool_rounds"] = ToolRounds,
            ["steps_per_run"] = CallsPerRun,
            ["batches"] = new JsonArray([.. batches.Select(b => (JsonNode)b.ToJson())]),
            ["commit_cost"] = new JsonArray([.. commitCost.Select(c => (JsonNode)new JsonObject
            {
                ["write"] = c.Key,
                ["wall_ms"] = Of(c.Value.SelectMany(r => r.WallMs)).ToJson(),
                ["cpu_ms_per_write"] = new JsonArray([.. c.Value.Select(r => (JsonNode)Math.Round(r.CpuMs, 4))]),
            })]),
            ["idle_cpu_ms_per_second"] = new JsonArray([.. idleCpu.Select(c => (JsonNode)Math.Round(c, 2))]),
        };
        Write(
            "1-step-loop",
            raw,
            md.ToString(),
            [
                Goals.OrchestrationInProcessP50(on.P50),
                Goals.OrchestrationInProcessP99(on.P99),
                Goals.RoundTripsPerCommit(roundTrips.Mean),
            ]);
    }

    /// <summary>What one batch of runs measured.</summary>
    private sealed record Batch(
        int Slots,
        bool Persist,
        int Runs,
        int FailedRuns,
        List<double> StepGaps,
        List<double> CommitMs,
        List<double> DatabaseMs,
        List<double> PublishMs,
        List<double> RestMs,
        List<double> RunEndMs,
        List<double> RoundTrips,
        double StepsPerSecond,
        double RunsPerSecond)
    {
        /// <summary>Gets the start of the steady state, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
        public long WindowStart { get; init; }

        /// <summary>Gets the end of the steady state, in <see cref="System.Diagnostics.Stopwatch"/> ticks.</summary>
        public long WindowEnd { get; init; }

        /// <summary>Gets what went wrong with each run that did not end as expected.</summary>
        public IReadOnlyList<string> Failures { get; init; } = [];

        /// <summary>Gets the number of steps committed in the steady state.</summary>
        public int StepsInWindow { get; init; }

        /// <summary>Gets the CPU time the in-process worker (this process) used per step in the steady state, in ms.</summary>
        public double WorkerCpuPerStepMs { get; init; }

        /// <summary>Gets the CPU time the worker's PostgreSQL backends used per step in the steady state, in ms (null if unreadable).</summary>
        public double? DatabaseCpuPerStepMs { get; init; }

        public static Batch Analyse(int slots, bool persist, IReadOnlyCollection<RunTimeline> runs)
        {
            var gaps = new List<double>();
            var commits = new List<double>();
            var databases = new List<double>();
            var publishes = new List<double>();
            var rests = new List<double>();
            var runEnds = new List<double>();
            var roundTrips = new List<double>();
            var failures = new List<string>();
            var failed = 0;
            foreach (var run in runs)
            {
                var spans = run.Spans;
                var calls = spans.Where(s => s.IsCall).ToList();
                var final = spans.SingleOrDefault(s => s.Kind == "commit:final");
                if (run.FinalStatus != AgentRunStatus.Success || calls.Count != CallsPerRun || final is null)
                {
                    failed++;
                    failures.Add($"status {(run.FinalStatus is { } status ? WireName.Of(status) : "(none)")}, {calls.Count} calls, {(final is null ? "no" : "a")} terminal commit");
                    continue;
                }

                for (var i = 0; i + 1 < calls.Count; i++)
                {
                    var (from, to) = (calls[i].End, calls[i + 1].Start);
                    var inside = spans.Where(s => s.Start >= from && s.End <= to).ToList();
                    var gap = StepProbe.Milliseconds(from, to);
                    var commit = inside.Where(s => s.IsStepCommit).Sum(s => StepProbe.Milliseconds(s.Start, s.End));
                    databases.Add(inside.Where(s => s.IsStepCommit).Sum(s => s.DatabaseMs));
                    roundTrips.Add(inside.Where(s => s.IsStepCommit).Sum(s => s.RoundTrips));
                    var publish = inside.Where(s => s.Kind == "publish").Sum(s => StepProbe.Milliseconds(s.Start, s.End));
                    gaps.Add(gap);
                    commits.Add(commit);
                    publishes.Add(publish);
                    // Publishes run in the background (RunEventPublisher), overlapping the rest: not subtracted.
                    rests.Add(gap - commit);
                }

                runEnds.Add(StepProbe.Milliseconds(calls[^1].End, final.End));
            }

            // Steady state: from the first 10 % of step commits (the pool has filled) to the moment the last run
            // started (after it, slots fall idle as the queue drains).
            var all = runs.SelectMany(r => r.Spans).ToList();
            var steps = all.Where(s => s.IsStepCommit && s.Kind != "commit:__start__").Select(s => s.End).Order().ToList();
            var finals = all.Where(s => s.Kind == "commit:final").Select(s => s.End).ToList();
            var windowStart = steps.Count == 0 ? 0 : steps[steps.Count / 10];
            var windowEnd = all.Where(s => s.Kind == "commit:__start__").Select(s => s.Start).DefaultIfEmpty().Max();
            if (windowEnd - windowStart < System.Diagnostics.Stopwatch.Frequency / 2)
            {
                // Too short a steady state (a small batch): take the whole batch.
                windowStart = steps.FirstOrDefault();
                windowEnd = finals.DefaultIfEmpty().Max();
            }

            var seconds = StepProbe.Milliseconds(windowStart, windowEnd) / 1000;
            var stepsInWindow = steps.Count(t => t >= windowStart && t <= windowEnd);
            var runsPerSecond = finals.Count(t => t >= windowStart && t <= windowEnd) / seconds;
            return new Batch(
                slots, persist, runs.Count, failed, gaps, commits, databases, publishes, rests, runEnds, roundTrips, stepsInWindow / seconds, runsPerSecond)
            {
                WindowStart = windowStart,
                WindowEnd = windowEnd,
                StepsInWindow = stepsInWindow,
                Failures = failures,
            };
        }

        public JsonObject ToJson() => new()
        {
            ["slots"] = Slots,
            ["persist"] = Persist,
            ["runs"] = Runs,
            ["failed_runs"] = FailedRuns,
            ["steps_per_second"] = Math.Round(StepsPerSecond, 1),
            ["runs_per_second"] = Math.Round(RunsPerSecond, 2),
            ["worker_cpu_per_step_ms"] = Math.Round(WorkerCpuPerStepMs, 4),
            ["database_backend_cpu_per_step_ms"] = DatabaseCpuPerStepMs is { } cpu ? Math.Round(cpu, 4) : null,
            ["step_gap_ms"] = Of(StepGaps).ToJson(),
            ["commit_ms"] = Of(CommitMs).ToJson(),
            ["commit_database_ms"] = Of(DatabaseMs).ToJson(),
            ["publish_ms"] = Of(PublishMs).ToJson(),
            ["rest_ms"] = Of(RestMs).ToJson(),
            ["run_end_ms"] = Of(RunEndMs).ToJson(),
            ["round_trips_per_step_commit"] = Of(RoundTrips).ToJson(),
            ["step_gap_samples_ms"] = new JsonArray([.. StepGaps.Select(g => (JsonNode)Math.Round(g, 4))]),
        };
    }
}
