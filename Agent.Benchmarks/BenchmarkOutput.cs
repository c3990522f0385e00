using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Tests.Infrastructure;

namespace Agent.Benchmarks;

/// <summary>
/// Where a benchmark's settings come from and where its results go. <c>deploy/local/bench.sh</c> sets
/// <c>AGENT_BENCH_QUICK=1</c> for <c>--quick</c> and <c>AGENT_BENCH_OUT</c> (default <c>.local/bench/</c>); each
/// benchmark writes <c>{name}.json</c> (raw samples and summaries), <c>{name}.md</c> (its section of the report) and
/// <c>{name}.goals.md</c> (its rows of the goals table, each line <c>{order}|| goal | target | measured | met |</c>),
/// which bench.sh sorts by order and assembles into <c>summary.md</c>.
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
            rows.Append(CultureInfo.InvariantCulture, $"{goal.Order:00}|| {goal.Goal} | {goal.Target} | {goal.Measured} | {(goal.Met ? "met" : "**missed**")} |\n");
        }

        File.WriteAllText(Path.Combine(Directory, name + ".goals.md"), rows.ToString());
        TestContext.Out.WriteLine(markdown);
    }
}

/// <summary>One row of the goals table in BENCHMARKS.md.</summary>
/// <param name="Order">The row's place in the table (the order of issue 13's goals).</param>
/// <param name="Goal">What is measured, e.g. "orchestration per step, in-process loop, p50".</param>
/// <param name="Target">The goal, e.g. "≤ 1.0 ms".</param>
/// <param name="Measured">The figure measured, with its unit.</param>
/// <param name="Met">Whether the figure meets the goal.</param>
internal sealed record GoalRow(int Order, string Goal, string Target, string Measured, bool Met);

/// <summary>
/// The goals table of issue 13, one factory per row: each benchmark reports the rows it measures through these, so
/// the goals and their thresholds live in one place. Times in ms, sizes in bytes.
/// </summary>
internal static class Goals
{
    /// <summary>Orchestration per step (step time minus model and tool time), in-process loop, 1 run in flight, p50.</summary>
    /// <param name="ms">The p50, in ms.</param>
    /// <returns>The row.</returns>
    public static GoalRow OrchestrationInProcessP50(double ms) =>
        new(1, "orchestration per step (step minus model and tool time), in-process loop, p50", "≤ 1.0 ms", $"{Distribution.Format(ms)} ms", ms <= 1.0);

    /// <summary>The same, p99.</summary>
    /// <param name="ms">The p99, in ms.</param>
    /// <returns>The row.</returns>
    public static GoalRow OrchestrationInProcessP99(double ms) =>
        new(2, "orchestration per step, in-process loop, p99", "≤ 5 ms", $"{Distribution.Format(ms)} ms", ms <= 5);

    /// <summary>Orchestration per step through the whole system (API, RabbitMQ, worker, PostgreSQL), sequential runs, p50.</summary>
    /// <param name="ms">The p50, in ms.</param>
    /// <returns>The row.</returns>
    public static GoalRow OrchestrationSystem(double ms) =>
        new(3, "orchestration per step through the whole system (API, RabbitMQ, worker, PostgreSQL), sequential runs, p50", "≤ 2.0 ms", $"{Distribution.Format(ms)} ms", ms <= 2.0);

    /// <summary>Steps per second with 32 runs in flight, instant model and tool, 1 API and 2 worker processes.</summary>
    /// <param name="stepsPerSecond">The steady-state rate.</param>
    /// <returns>The row.</returns>
    public static GoalRow StepsPerSecond(double stepsPerSecond) =>
        new(4, "steps/s, 32 runs in flight, instant model and tool, 1 API + 2 worker processes", "≥ 1,500", Distribution.Format(stepsPerSecond), stepsPerSecond >= 1500);

    /// <summary>Round trips to PostgreSQL per step commit.</summary>
    /// <param name="mean">The mean over the step commits measured.</param>
    /// <returns>The row.</returns>
    public static GoalRow RoundTripsPerCommit(double mean) =>
        new(5, "round trips to PostgreSQL per step commit (mean)", "1", Distribution.Format(mean), mean <= 1.0);

    /// <summary>WAL bytes per step.</summary>
    /// <param name="bytes">WAL bytes per committed step, run overhead (claim, end) included.</param>
    /// <returns>The row.</returns>
    public static GoalRow WalPerStep(double bytes) =>
        new(6, "WAL bytes per step (claim and run end included)", "≤ 1.5 KB", $"{Distribution.Format(bytes)} B", bytes <= 1536);

    /// <summary>Storage per step, linear in the number of steps.</summary>
    /// <param name="measured">What was measured.</param>
    /// <param name="linear">Whether it is linear.</param>
    /// <returns>The row.</returns>
    public static GoalRow StorageLinear(string measured, bool linear) =>
        new(7, "storage per step, linear in steps", "linear", measured, linear);

    /// <summary><c>search_documents</c> latency p50.</summary>
    /// <param name="ms">The p50, in ms.</param>
    /// <param name="questions">How many questions.</param>
    /// <param name="corpus">What was searched.</param>
    /// <returns>The row.</returns>
    public static GoalRow SearchP50(double ms, int questions, string corpus) =>
        new(8, $"search_documents on {corpus}, {questions} varied questions, p50", "≤ 5 ms", $"{Distribution.Format(ms)} ms", ms <= 5);

    /// <summary><c>search_documents</c> latency p99.</summary>
    /// <param name="ms">The p99, in ms.</param>
    /// <returns>The row.</returns>
    public static GoalRow SearchP99(double ms) =>
        new(9, "search_documents, p99", "≤ 20 ms", $"{Distribution.Format(ms)} ms", ms <= 20);

    /// <summary>Submit to the first SSE event, p50.</summary>
    /// <param name="ms">The p50, in ms.</param>
    /// <returns>The row.</returns>
    public static GoalRow FirstEvent(double ms) =>
        new(10, "submit → first SSE event, p50", "≤ 20 ms", $"{Distribution.Format(ms)} ms", ms <= 20);

    /// <summary>Kill -9 of a worker to the run's next committed step, p50, standby worker cold.</summary>
    /// <param name="ms">The p50, in ms.</param>
    /// <param name="kills">How many kills.</param>
    /// <returns>The row.</returns>
    public static GoalRow Recovery(double ms, int kills) =>
        new(11, $"kill -9 of a worker → the run's next committed step, p50 of {kills}, standby worker cold", "≤ 2 s", $"{Distribution.Format(ms)} ms", ms <= 2000);

    /// <summary>Responses with a 5xx status during the load command's burst (issue 15: never a 5xx under load).</summary>
    /// <param name="serverErrors">How many 5xx answers.</param>
    /// <param name="clients">How many concurrent clients.</param>
    /// <returns>The row.</returns>
    public static GoalRow LoadServerErrors(int serverErrors, int clients) =>
        new(12, $"load: 5xx answers with {clients} concurrent clients", "0", serverErrors.ToString(CultureInfo.InvariantCulture), serverErrors == 0);

    /// <summary>Submit latency (thread + run) under the load command's burst, p99.</summary>
    /// <param name="ms">The p99, in ms.</param>
    /// <returns>The row.</returns>
    public static GoalRow LoadSubmitP99(double ms) =>
        new(13, "load: submit (thread + run) p99", "≤ 1 s", $"{Distribution.Format(ms)} ms", ms <= 1000);

    /// <summary>The peak resident memory (VmHWM) of the load command's workers, embedding model loaded (issue 17).</summary>
    /// <param name="mb">The highest worker's peak, in MB.</param>
    /// <returns>The row.</returns>
    public static GoalRow LoadWorkerPeakResident(double mb) =>
        new(13, "load: worker peak resident memory, embedding model loaded", "< 450 MB", $"{mb:N0} MB", mb is > 0 and < 450);

    /// <summary>Soak: accepted runs that finished with success.</summary>
    /// <param name="succeeded">Runs that ended <c>success</c>.</param>
    /// <param name="accepted">Runs the API accepted.</param>
    /// <returns>The row.</returns>
    public static GoalRow SoakFinished(int succeeded, int accepted) =>
        new(14, "soak: accepted runs that finished (success)", "all", $"{succeeded} of {accepted}", succeeded == accepted);

    /// <summary>Soak: steps committed twice through kills and restarts.</summary>
    /// <param name="twice">Steps committed twice.</param>
    /// <returns>The row.</returns>
    public static GoalRow SoakStepsCommittedTwice(int twice) =>
        new(15, "soak: steps committed twice", "0", twice.ToString(CultureInfo.InvariantCulture), twice == 0);

    /// <summary>Soak: streaming clients that missed an event (reconnecting with Last-Event-ID).</summary>
    /// <param name="missed">Clients whose events differ from a full replay.</param>
    /// <param name="clients">Streaming clients.</param>
    /// <returns>The row.</returns>
    public static GoalRow SoakMissedEvents(int missed, int clients) =>
        new(16, "soak: SSE clients that missed an event", "0", $"{missed} of {clients}", missed == 0);
}
