using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Npgsql;

namespace Agent.Benchmarks.Processes;

/// <summary>
/// The deployment the process benchmarks measure: one real API process and real worker processes (AgentSystem),
/// each worker calling our fake OpenAI-compatible server (<see cref="FakeOpenAIServer"/>, default script: search, then
/// answer) through the OpenAI SDK, so a run is 3 steps: agent (tool call), tools (real full-text search on the ingested
/// manual pages), agent (answer); <see cref="InstantToolRounds"/> makes it the 11-step shape of issue 13. Workers can
/// be replaced between measurements with other slot counts. The API's request rate limit and the tenant's
/// concurrent-run limit are off (<see cref="ApiEnvironment"/>): a benchmark submits faster than one client should.
/// </summary>
internal sealed class BenchSystem : IAsyncDisposable
{
    /// <summary>The statuses a run ends in, spelled as in the <c>runs.status</c> column.</summary>
    public static readonly string[] TerminalStatuses =
        [.. Enum.GetValues<AgentRunStatus>().Where(s => AgentRunStatus.IsTerminal(s)).Select(s => WireName.Of(s))];

    /// <summary>
    /// The API's settings for benchmarks: no request rate limit (<c>RateLimit__RequestsPerMinute=0</c>) and no limit on
    /// a tenant's concurrent runs (<c>Limits__MaxConcurrentRunsPerTenant=0</c>), so a load test measures the runtime
    /// rather than the guards against one client's overload (both answer 429 by design).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string?> ApiEnvironment = new Dictionary<string, string?>
    {
        ["RateLimit__RequestsPerMinute"] = "0",
        ["Limits__MaxConcurrentRunsPerTenant"] = "0",
    };

    private static readonly string[] Questions =
    [
        "How do I create a GIN index on a tsvector column?", "What does VACUUM do?", "Which index types does PostgreSQL have?",
        "How do I select distinct rows?", "What is a text search configuration?",
    ];

    private readonly List<(string InstanceId, ServiceProcess Process)> live = [];
    private int workersStarted;

    private BenchSystem(FakeOpenAIServer model, AgentSystem system)
    {
        Model = model;
        System = system;
        Queries = new NpgsqlDataSourceBuilder(
            new NpgsqlConnectionStringBuilder(system.Database.ConnectionString) { ApplicationName = QueriesApplicationName }.ConnectionString).Build();
    }

    /// <summary>Gets the <c>Application Name</c> of the benchmark's own queries, so their backends are not counted as the system's.</summary>
    public static string QueriesApplicationName => "bench-queries";

    /// <summary>Gets the data source the benchmark reads the system's database with.</summary>
    public NpgsqlDataSource Queries { get; }

    /// <summary>Gets the fake model server; set its <see cref="FakeOpenAIServer.Latency"/> per measurement.</summary>
    public FakeOpenAIServer Model { get; }

    /// <summary>Gets the processes and the database.</summary>
    public AgentSystem System { get; }

    /// <summary>Gets the workers running now, with their lease owner names.</summary>
    public IReadOnlyList<(string InstanceId, ServiceProcess Process)> LiveWorkers => live;

    /// <summary>Starts the API and one worker.</summary>
    /// <param name="slots">The first worker's slot count.</param>
    /// <returns>The system.</returns>
    public static async Task<BenchSystem> StartAsync(int slots)
    {
        var model = await FakeOpenAIServer.StartAsync();
        try
        {
            var system = await AgentSystem.StartAsync(apiCount: 1, WorkerEnvironment(model, slots, "bench-worker-1"), ApiEnvironment);
            var bench = new BenchSystem(model, system) { workersStarted = 1 };
            bench.live.Add(("bench-worker-1", system.Workers[0]));
            return bench;
        }
        catch
        {
            await model.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts workers side by side and waits until all are consuming.</summary>
    /// <param name="count">How many.</param>
    /// <param name="slots">Slots per worker.</param>
    /// <returns>A task that completes when every new worker is ready.</returns>
    public async Task StartWorkersAsync(int count, int slots)
    {
        var starting = new List<Task<ServiceProcess>>();
        var names = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var name = "bench-worker-" + ++workersStarted;
            names.Add(name);
            // AddWorkerAsync starts the process before its first await, so these start together.
            starting.Add(System.AddWorkerAsync(WorkerEnvironment(Model, slots, name)));
        }

        var processes = await Task.WhenAll(starting);
        live.AddRange(names.Zip(processes));
    }

    /// <summary>Kills one worker with SIGKILL, as a crash would.</summary>
    /// <param name="instanceId">Its lease owner name.</param>
    public void Kill(string instanceId)
    {
        var worker = live.Single(w => w.InstanceId == instanceId);
        worker.Process.Kill();
        live.Remove(worker);
    }

    /// <summary>Kills every worker (between measurements, when none holds a run).</summary>
    public void KillWorkers()
    {
        foreach (var (_, process) in live)
        {
            process.Kill();
        }

        live.Clear();
    }

    /// <summary>
    /// A script for the fake model that makes runs of issue 13's shape, with an instant model and an instant tool: the
    /// model calls <c>read_document</c> (one page by its id, at most 1,000 characters: two indexed reads, about 1 KB
    /// back) until the conversation holds <paramref name="rounds"/> tool results, then answers. 2 x rounds + 1 steps.
    /// </summary>
    /// <param name="documentId">An ingested document's id.</param>
    /// <param name="rounds">Tool rounds per run; 5 makes 11 steps.</param>
    /// <returns>The script.</returns>
    public static Func<FakeChatRequest, FakeChatReply> InstantToolRounds(long documentId, int rounds = 5) => request =>
        request.Messages.Count(m => m.Role == "tool") is var done && done < rounds
            // Arguments differ per round: the agent's loop guard ends a run that repeats an identical tool call.
            ? FakeChatReply.ToolCall("read_document", new { document_id = documentId, max_chars = 1000 + done })
            : FakeChatReply.Text("According to the documents, it does.");

    /// <summary>Reads the id of an ingested document (the smallest).</summary>
    /// <returns>The id.</returns>
    public async Task<long> AnyDocumentIdAsync()
    {
        await using var command = Queries.CreateCommand("SELECT min(document_id) FROM agent.documents");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Gets question <paramref name="i"/> of five about the ingested manual pages, in turn.</summary>
    /// <param name="i">The run's index.</param>
    /// <returns>The question.</returns>
    public static string Question(int i) => Questions[i % Questions.Length];

    /// <summary>Submits a background run on a new thread through the API (<c>if_not_exists=create</c>).</summary>
    /// <param name="client">A client of the API.</param>
    /// <param name="question">The question.</param>
    /// <param name="threadId">The thread; a new one when null.</param>
    /// <returns>The run id.</returns>
    public static async Task<Guid> SubmitAsync(HttpClient client, string question, Guid? threadId = null)
    {
        var body = new JsonObject
        {
            ["assistant_id"] = "agent",
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }) },
            ["if_not_exists"] = "create",
        };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri($"/threads/{threadId ?? Guid.NewGuid()}/runs", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, $"POST /threads/.../runs answered {(int)response.StatusCode}: {text}");
        return Guid.Parse(JsonNode.Parse(text)!["run_id"]!.GetValue<string>());
    }

    /// <summary>Submits runs with a few requests in flight at once.</summary>
    /// <param name="count">How many runs.</param>
    /// <param name="question">The question of run <c>i</c>.</param>
    /// <returns>The run ids.</returns>
    public async Task<IReadOnlyList<Guid>> SubmitManyAsync(int count, Func<int, string> question)
    {
        using var client = System.Client();
        var ids = new Guid[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            ids[i] = await SubmitAsync(client, question(i)));
        return ids;
    }

    /// <summary>
    /// Keeps <paramref name="inFlight"/> runs submitted and not yet ended, for <paramref name="duration"/>: as runs end,
    /// new ones are submitted through the API (a closed loop, so the queue neither runs dry nor grows without bound).
    /// </summary>
    /// <param name="inFlight">How many runs to keep submitted and unfinished.</param>
    /// <param name="duration">How long to keep it up.</param>
    /// <param name="question">The question of run <c>i</c>.</param>
    /// <returns>Every run submitted; some are still running when this returns.</returns>
    public async Task<IReadOnlyList<Guid>> DriveAsync(int inFlight, TimeSpan duration, Func<int, string> question)
    {
        using var client = System.Client();
        var submitted = new List<Guid>();
        var open = new HashSet<Guid>();
        var started = Stopwatch.GetTimestamp();
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        do
        {
            if (open.Count > 0)
            {
                await using var command = Queries.CreateCommand("SELECT run_id FROM agent.runs WHERE run_id = ANY($1) AND status = ANY($2)");
                command.Parameters.Add(new NpgsqlParameter { Value = open.ToArray() });
                command.Parameters.Add(new NpgsqlParameter { Value = TerminalStatuses });
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    open.Remove(reader.GetGuid(0));
                }
            }

            var missing = inFlight - open.Count;
            if (missing > 0)
            {
                var ids = new Guid[missing];
                var first = submitted.Count;
                await Parallel.ForAsync(0, missing, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
                    ids[i] = await SubmitAsync(client, question(first + i)));
                submitted.AddRange(ids);
                open.UnionWith(ids);
            }
        }
        while (Stopwatch.GetElapsedTime(started) < duration && await poll.WaitForNextTickAsync());

        return submitted;
    }

    /// <summary>Polls PostgreSQL until every run has ended.</summary>
    /// <param name="runIds">The runs.</param>
    /// <param name="timeout">The deadline.</param>
    /// <returns>A task that completes when they all have.</returns>
    /// <exception cref="TimeoutException">Some had not ended in time.</exception>
    public async Task WaitForRunsToEndAsync(IReadOnlyCollection<Guid> runIds, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (true)
        {
            await using var command = Queries.CreateCommand(
                "SELECT count(*) FROM agent.runs WHERE run_id = ANY($1) AND status = ANY($2)");
            command.Parameters.Add(new NpgsqlParameter { Value = runIds.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = TerminalStatuses });
            var ended = (long)(await command.ExecuteScalarAsync())!;
            if (ended == runIds.Count)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{ended} of {runIds.Count} runs ended within {timeout}.\n{System.Logs()}");
            }

            await poll.WaitForNextTickAsync();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Queries.DisposeAsync();
        await System.DisposeAsync();
        await Model.DisposeAsync();
        await BenchQueues.DeleteAsync(System.Queue);
    }

    private static Dictionary<string, string?> WorkerEnvironment(FakeOpenAIServer model, int slots, string instanceId) => new()
    {
        ["OPENAI_API_KEY"] = "sk-bench-fake",
        ["OPENAI_BASE_URL"] = model.BaseUrl.ToString(),
        ["AGENT_MODEL"] = "gpt-4o-mini",
        ["AgentWorker__Slots"] = slots.ToString(CultureInfo.InvariantCulture),
        ["AgentWorker__InstanceId"] = instanceId,
    };
}
