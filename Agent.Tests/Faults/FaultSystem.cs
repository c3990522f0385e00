using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Agent.Tests.Faults;

/// <summary>
/// A deployment for fault tests: the fake OpenAI-compatible server (the only fake) with a per-call latency, one real
/// API process and real worker processes on real PostgreSQL and RabbitMQ, with short lease and sweep settings so a
/// fault resolves in seconds. Workers are named <c>worker-N</c>, which is also their lease owner name.
/// </summary>
internal sealed class FaultSystem : IAsyncDisposable
{
    /// <summary>The lease length the workers use, in seconds (a heartbeat every second).</summary>
    public const int LeaseSeconds = 3;

    /// <summary>The sweep period the workers use, in seconds.</summary>
    public const double SweepSeconds = 1;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);
    private readonly IReadOnlyDictionary<string, string?> extraEnvironment;

    private FaultSystem(FakeOpenAIServer model, IReadOnlyDictionary<string, string?> extraEnvironment)
    {
        Model = model;
        this.extraEnvironment = extraEnvironment;
    }

    /// <summary>Gets the fake model server.</summary>
    public FakeOpenAIServer Model { get; }

    /// <summary>Gets the processes and the database.</summary>
    public AgentSystem System { get; private set; } = null!;

    /// <summary>Gets the workers that have not exited.</summary>
    public IEnumerable<ServiceProcess> LiveWorkers => System.Workers.Where(w => !w.HasExited);

    /// <summary>Starts a system.</summary>
    /// <param name="workers">How many worker processes.</param>
    /// <param name="modelLatency">The fake model's latency per call.</param>
    /// <param name="postgresServer">A PostgreSQL server (default: the shared one).</param>
    /// <param name="rabbitMqUri">A RabbitMQ (default: the shared one).</param>
    /// <param name="extraEnvironment">More worker settings.</param>
    /// <param name="workerProject">The workers' project (<see cref="AgentSystem.WorkerProject"/>); default <c>Agent.Worker</c>.</param>
    /// <param name="modelScript">The fake model's script; default <see cref="FakeOpenAIServer.SearchThenAnswer"/>.</param>
    /// <returns>The running system.</returns>
    public static async Task<FaultSystem> StartAsync(
        int workers,
        TimeSpan modelLatency,
        string? postgresServer = null,
        string? rabbitMqUri = null,
        IReadOnlyDictionary<string, string?>? extraEnvironment = null,
        string workerProject = "Agent.Worker",
        Func<FakeChatRequest, FakeChatReply>? modelScript = null)
    {
        var model = await FakeOpenAIServer.StartAsync(modelScript);
        model.Latency = modelLatency;
        var faults = new FaultSystem(model, extraEnvironment ?? new Dictionary<string, string?>());
        try
        {
            faults.System = await AgentSystem.StartAsync(
                1,
                faults.WorkerEnvironment(1),
                postgresServer ?? TestEnvironment.PostgresServer,
                rabbitMqUri ?? TestEnvironment.RabbitMqUri,
                workerProject: workerProject);
            await faults.EnsureWorkersAsync(workers);
            return faults;
        }
        catch
        {
            await faults.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts workers until <paramref name="count"/> are alive (in parallel).</summary>
    /// <param name="count">The number of live workers wanted.</param>
    /// <returns>A task completing when they are ready.</returns>
    public async Task EnsureWorkersAsync(int count)
    {
        var missing = count - LiveWorkers.Count();
        var starts = new List<Task>();
        for (var i = 0; i < missing; i++)
        {
            // AddWorkerAsync adds the process to Workers before it first awaits, so Count + 1 is this worker's number
            // (its process name worker-N and its lease owner name match).
            starts.Add(System.AddWorkerAsync(WorkerEnvironment(System.Workers.Count + 1)));
        }

        await Task.WhenAll(starts);
    }

    /// <summary>Creates a thread and a background run asking <paramref name="question"/> through the API.</summary>
    /// <param name="question">A question unique to the test, so its model requests can be told apart.</param>
    /// <returns>The thread and the run.</returns>
    public async Task<(Guid ThreadId, Guid RunId)> SubmitAsync(string question)
    {
        using var client = System.Client();
        var thread = await PostAsync(client, "/threads", "{}");
        var threadId = thread["thread_id"]!.GetValue<string>();
        var body = new JsonObject
        {
            ["assistant_id"] = "agent",
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }) },
        };
        var run = await PostAsync(client, $"/threads/{threadId}/runs", body.ToJsonString());
        return (Guid.Parse(threadId), Guid.Parse(run["run_id"]!.GetValue<string>()));
    }

    /// <summary>Gets the model requests a run's question caused so far.</summary>
    /// <param name="question">The run's question.</param>
    /// <returns>The requests, in arrival order.</returns>
    public IReadOnlyList<FakeChatRequest> RequestsFor(string question) =>
        Model.Requests.Where(r => r.Messages.Any(m => m.Role == "user" && m.Content == question)).ToList();

    /// <summary>Polls until the fake model server has received <paramref name="count"/> requests for the question.</summary>
    /// <param name="question">The question.</param>
    /// <param name="count">How many.</param>
    /// <returns>A task completing then.</returns>
    public Task WaitForRequestsAsync(string question, int count) =>
        PollAsync(() => Task.FromResult(RequestsFor(question).Count >= count), TimeSpan.FromSeconds(60), $"{count} model request(s) for '{question}'");

    /// <summary>Reads a run; transient database failures (a restart) answer null.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>The run, or null when the database cannot be reached right now.</returns>
    public async Task<AgentRun?> TryLoadRunAsync(Guid runId)
    {
        try
        {
            await using var context = System.Database.CreateContext();
            return await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == runId);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException { InnerException: NpgsqlException })
        {
            NpgsqlConnection.ClearAllPools();
            return null;
        }
    }

    /// <summary>Waits until a run satisfies a condition.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="condition">The condition.</param>
    /// <param name="what">Says what is awaited, for the timeout message.</param>
    /// <param name="timeout">The deadline; default 60 s.</param>
    /// <returns>The run as it satisfied the condition.</returns>
    public async Task<AgentRun> WaitForRunAsync(Guid runId, Func<AgentRun, bool> condition, string what, TimeSpan? timeout = null)
    {
        AgentRun? seen = null;
        await PollAsync(
            async () =>
            {
                seen = await TryLoadRunAsync(runId);
                return seen is not null && condition(seen);
            },
            timeout ?? TimeSpan.FromSeconds(60),
            $"run {runId}: {what} (last seen: {(seen is null ? null : WireName.Of(seen.Status))}, attempt {seen?.Attempt}, owner {seen?.LeaseOwner})");
        return seen!;
    }

    /// <summary>Waits until a run has ended.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>The ended run.</returns>
    public Task<AgentRun> WaitForEndAsync(Guid runId) =>
        WaitForRunAsync(runId, r => AgentRunStatus.IsTerminal(r.Status), "ended", TimeSpan.FromSeconds(90));

    /// <summary>Finds the worker process that holds a run's lease.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>The worker.</returns>
    public async Task<ServiceProcess> OwnerAsync(Guid runId)
    {
        var run = await WaitForRunAsync(runId, r => r.LeaseOwner is not null, "leased");
        return System.Workers.Single(w => w.Name == run.LeaseOwner);
    }

    /// <summary>
    /// Measures, from now, how long until a run is claimed again (its attempt number grows) and until its next step
    /// is committed after that; call it right before inflicting the fault and await it afterwards.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <returns>The two durations; null when the run ended without it (e.g. nothing was left to do).</returns>
    public Task<(TimeSpan? Reclaimed, TimeSpan? NextStep)> MeasureRecoveryAsync(Guid runId) => MeasureRecoveryAsync(runId, reclaim: true);

    /// <summary>
    /// Measures, from now, how long until a run commits its next step, after being claimed again when
    /// <paramref name="reclaim"/> (a crash), or by whoever holds it (a server restart the worker rides out).
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="reclaim">Whether the next step must come after a new claim.</param>
    /// <returns>The two durations (reclaimed is null when no new claim happened).</returns>
    public async Task<(TimeSpan? Reclaimed, TimeSpan? NextStep)> MeasureRecoveryAsync(Guid runId, bool reclaim)
    {
        var before = await TryLoadRunAsync(runId) ?? throw new InvalidOperationException("The run is not readable.");
        var clock = Stopwatch.StartNew();
        TimeSpan? reclaimed = null;
        TimeSpan? nextStep = null;
        var stepsAtReclaim = reclaim ? long.MaxValue : before.LastEventSequence;
        await Poll.UntilAsync(
            async () =>
            {
                var now = await TryLoadRunAsync(runId);
                if (now is null)
                {
                    return false;
                }

                if (reclaimed is null && now.Attempt > before.Attempt)
                {
                    reclaimed = clock.Elapsed;
                    stepsAtReclaim = now.LastEventSequence;
                }

                if (now.LastEventSequence > stepsAtReclaim)
                {
                    nextStep = clock.Elapsed;
                }

                return nextStep is not null || AgentRunStatus.IsTerminal(now.Status);
            },
            TimeSpan.FromSeconds(90),
            PollInterval);

        return (reclaimed, nextStep);
    }

    /// <summary>
    /// Asserts what every fault scenario must keep: the terminal status; every step index committed exactly once
    /// (0..n, no gap, no repeat); the run's events contiguous from 1; exactly <paramref name="repeatedModelCalls"/>
    /// model calls repeated (requests at the fake server minus committed model steps, minus
    /// <paramref name="failedRequests"/> answered with an error on purpose); and no run of the system left unfinished
    /// (nothing orphaned).
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="question">Its question.</param>
    /// <param name="status">The expected terminal status.</param>
    /// <param name="repeatedModelCalls">
    /// How many model calls the fault repeats: 1 when a worker died (or was fenced) inside a model call, whose answer
    /// was never committed; 0 when it died anywhere else, because a committed step never runs again.
    /// </param>
    /// <param name="failedRequests">Requests the fake server failed on purpose.</param>
    /// <param name="orFewer">
    /// Whether fewer repeats are also right: only for a server restart, which cuts a run wherever it happens to be
    /// (in a model call, or in a tool call or a commit, which repeat no model call).
    /// </param>
    /// <returns>A task completing when checked.</returns>
    public async Task AssertDurableAsync(
        Guid runId, string question, AgentRunStatus status, int repeatedModelCalls, int failedRequests = 0, bool orFewer = false)
    {
        await using var context = System.Database.CreateContext();
        var run = await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == runId);
        var steps = await context.Checkpoints.AsNoTracking().Where(c => c.RunId == runId)
            .Select(c => new { c.Step, c.Node }).ToListAsync();
        var sequences = await context.RunEvents.AsNoTracking().Where(e => e.RunId == runId)
            .OrderBy(e => e.Sequence).Select(e => e.Sequence).ToListAsync();
        var unfinished = await context.Runs.AsNoTracking()
            .Where(r => r.Status == AgentRunStatus.Pending || r.Status == AgentRunStatus.Running).CountAsync();
        var modelSteps = steps.Count(s => s.Node == "agent");
        var requests = RequestsFor(question).Count;
        var repeats = requests - failedRequests - modelSteps;
        await TestContext.Out.WriteLineAsync(
            $"run {runId}: {WireName.Of(run.Status)}, attempt {run.Attempt}, {steps.Count} steps, {sequences.Count} events, " +
            $"{requests} model requests ({failedRequests} failed on purpose, {modelSteps} committed, {repeats} repeated)");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Status, Is.EqualTo(status), "terminal status");
            Assert.That(steps.Select(s => s.Step).Order(), Is.EqualTo(Enumerable.Range(-1, steps.Count)), "every step index exactly once (-1: the input checkpoint)");
            Assert.That(sequences, Is.EqualTo(Enumerable.Range(1, (int)run.LastEventSequence).Select(i => (long)i)), "contiguous events");
            Assert.That(repeats, orFewer ? Is.InRange(0, repeatedModelCalls) : Is.EqualTo(repeatedModelCalls), "model calls repeated because of the fault");
            Assert.That(unfinished, Is.Zero, "no run left pending or running");
        }
    }

    /// <summary>Logs a recovery measurement for the benchmark notes (never asserted).</summary>
    /// <param name="fault">The fault.</param>
    /// <param name="recovery">The measurement.</param>
    public static void Report(string fault, (TimeSpan? Reclaimed, TimeSpan? NextStep) recovery) =>
        TestContext.Out.WriteLine(
            $"{fault}: fault -> run claimed again {Ms(recovery.Reclaimed)}, fault -> next step committed {Ms(recovery.NextStep)}");

    /// <summary>Polls a condition until it holds.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="timeout">The deadline.</param>
    /// <param name="what">What is awaited, for the failure message.</param>
    /// <returns>A task completing when it holds.</returns>
    /// <exception cref="TimeoutException">It did not hold in time.</exception>
    public async Task PollAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        if (!await Poll.UntilAsync(condition, timeout, PollInterval))
        {
            throw new TimeoutException($"Timed out after {timeout} waiting for {what}.\n{System.Logs()}");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (System is not null)
        {
            await System.DisposeAsync();
        }

        await Model.DisposeAsync();
    }

    private static string Ms(TimeSpan? duration) => duration is { } d ? $"{d.TotalMilliseconds:F0} ms" : "n/a";

    /// <summary>POSTs JSON to the API and fails the test unless it answers 2xx.</summary>
    /// <param name="client">The API client.</param>
    /// <param name="path">The path.</param>
    /// <param name="json">The body.</param>
    /// <returns>The parsed answer.</returns>
    public static async Task<JsonNode> PostAsync(HttpClient client, string path, string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, $"POST {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private Dictionary<string, string?> WorkerEnvironment(int number)
    {
        var environment = new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-test-fake",
            ["OPENAI_BASE_URL"] = Model.BaseUrl.ToString(),
            ["AGENT_MODEL"] = "gpt-4o-mini",
            ["AgentWorker__InstanceId"] = $"worker-{number}",
            ["AgentWorker__LeaseSeconds"] = LeaseSeconds.ToString(CultureInfo.InvariantCulture),
            ["AgentWorker__SweepSeconds"] = SweepSeconds.ToString(CultureInfo.InvariantCulture),
            ["AgentWorker__RepublishAfterSeconds"] = "3",
            ["AgentWorker__RetryBaseDelayMs"] = "100",
            ["AgentWorker__RetryMaxDelaySeconds"] = "2",
            ["AgentWorker__RetryWaitSeconds"] = "1",
            ["AgentWorker__RetryWaitMaxSeconds"] = "2",
            ["AgentWorker__ShutdownGraceSeconds"] = "10",
            // The fault specs count retries and retry waits exactly; the model circuit breaker (covered by
            // FallbackChatClient_Specs) would turn part of a storm into open-circuit waits, so it stays closed here.
            ["Models__CircuitMinimumThroughput"] = "1000",
        };
        foreach (var (key, value) in extraEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }
}
