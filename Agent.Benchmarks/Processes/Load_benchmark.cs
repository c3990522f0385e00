using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Npgsql;
using static Agent.Benchmarks.BenchmarkOutput;
using static Agent.Benchmarks.Distribution;

namespace Agent.Benchmarks.Processes;

/// <summary>
/// The load command (<c>deploy/local/load.sh</c>): N concurrent clients each create a thread and a run at once,
/// against 1 API and W workers on default settings (only the connection budget is set, as up.sh sets it), with the
/// fake model at a set latency per call. Reports every HTTP status, the submit latency (thread + run) and the drain
/// time, and fails on any 5xx or on an accepted run that does not finish. Timings are reported, not asserted. Five
/// sequential clients warm the API first (not counted): a burst hits a running system, not a cold one.
/// Settings: <c>AGENT_LOAD_CLIENTS</c> (200), <c>AGENT_LOAD_WORKERS</c> (2), <c>AGENT_LOAD_MODEL_LATENCY_MS</c>
/// (1,000), <c>AGENT_LOAD_SLOTS</c> (unset: the worker's default).
/// </summary>
[TestFixture]
[Explicit("Load test: deploy/local/load.sh runs it")]
[Category("Load")]
[NonParallelizable]
public sealed class Load_benchmark
{
    private const int WarmUpClients = 5;

    [Test]
    public async Task Holds_a_burst_of_concurrent_clients()
    {
        var clients = Setting("AGENT_LOAD_CLIENTS", 200);
        var workers = Setting("AGENT_LOAD_WORKERS", 2);
        var latencyMs = Setting("AGENT_LOAD_MODEL_LATENCY_MS", 1000);
        var slots = Environment.GetEnvironmentVariable("AGENT_LOAD_SLOTS");
        await using var model = await FakeOpenAIServer.StartAsync();
        model.Latency = TimeSpan.FromMilliseconds(latencyMs);
        var budget = new Dictionary<string, string?> { ["Database__Processes"] = (1 + workers).ToString(CultureInfo.InvariantCulture) };
        await using var system = await AgentSystem.StartAsync(apiCount: 1, WorkerEnvironment(model, 1, slots, budget), budget);
        for (var i = 2; i <= workers; i++)
        {
            await system.AddWorkerAsync(WorkerEnvironment(model, i, slots, budget));
        }

        // Issue 17's memory goal is about a worker with the embedding model loaded, so the pages AgentSystem ingested
        // (full text only) get their vectors through the worker's own ingest command: every search_documents of the
        // load is then hybrid and embeds its question in the worker, as in a deployment. The workers' vector caches
        // see the new collection version on their first search.
        await EmbedManualPagesAsync(system);

        using var http = system.Client();
        // A burst hits a running system: a few sequential clients first, so the figures are not the API's first
        // requests (JIT, EF Core's model and query compilation, first connections). Their runs end before the burst
        // and are not counted.
        var warmUp = new List<ClientResult>();
        for (var i = 0; i < WarmUpClients; i++)
        {
            warmUp.Add(await ClientAsync(http, BenchSystem.Question(clients + i)));
        }

        await WaitForEndAsync(system.Database.DataSource, warmUp.Where(r => r.RunId is not null).Select(r => r.RunId!.Value).ToList(), TimeSpan.FromMinutes(2));

        // Where the burst's CPU goes (2 cores give 2,000 ms per second): the API, the workers, this client, PostgreSQL.
        await using var cpu = CpuSampler.Start(
            ("api", CpuSampler.ChildProcesses("Agent.Api")),
            ("api JIT threads", CpuSampler.ChildProcesses("Agent.Api", jitOnly: true)),
            ("workers", CpuSampler.ChildProcesses("Agent.Worker")),
            ("client", CpuSampler.ThisProcessAsync),
            ("postgres", CpuSampler.Backends(system.Database.DataSource, "datname = current_database()")));
        var started = Stopwatch.GetTimestamp();
        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(i => ClientAsync(http, BenchSystem.Question(i))));
        var submitted = Stopwatch.GetTimestamp();
        var submitSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var burstCpu = cpu.Between(started, submitted);
        var accepted = results.Where(r => r.RunId is not null).Select(r => r.RunId!.Value).ToList();
        var ended = await WaitForEndAsync(system.Database.DataSource, accepted, TimeSpan.FromMinutes(20));
        var drainSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;

        // Issue 17's memory goal: a worker that has the embedding model loaded stays under 450 MB resident after a
        // load. VmHWM is the peak over the worker's whole life, model load included.
        var workerMemory = system.Workers.Select(w => new WorkerMemory(
            w.Name,
            ProcessMemory.ResidentMb(w.ProcessId),
            ProcessMemory.PeakResidentMb(w.ProcessId),
            ProcessMemory.HasMapped(w.ProcessId, "libonnxruntime"))).ToList();
        var peakWorkerMb = workerMemory.Max(m => m.PeakMb ?? 0);

        var statuses = results.SelectMany(r => r.Statuses).GroupBy(s => s).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
        var serverErrors = results.SelectMany(r => r.Statuses).Count(s => s >= 500);
        var submit = Of(results.Select(r => r.SubmitMs));
        var threadPart = Of(results.Select(r => r.ThreadMs));
        var succeeded = ended.GetValueOrDefault("success");
        var markdown = new StringBuilder()
            .AppendLine("## Load: a burst of concurrent clients")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"{clients} clients at once, each POST /threads then POST /threads/{{id}}/runs; 1 API, {workers} worker(s), slots {slots ?? "default"}, fake model {latencyMs} ms per call (3-step runs, 2 model calls).")
            .AppendLine()
            .AppendLine("| clients | HTTP statuses | 5xx | runs accepted | runs succeeded | submit p50 / p99 / max ms | of which POST /threads p50 / p99 ms | all submitted after s | drained after s |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|")
            .AppendLine(CultureInfo.InvariantCulture, $"| {clients} | {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))} | {serverErrors} | {accepted.Count} | {succeeded} | {Format(submit.P50)} / {Format(submit.P99)} / {Format(submit.Max)} | {Format(threadPart.P50)} / {Format(threadPart.P99)} | {submitSeconds:F1} | {drainSeconds:F1} |")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"CPU while the clients submitted ({submitSeconds:F1} s; 2 cores give {2000 * submitSeconds:N0} ms): {string.Join(", ", burstCpu.Select(c => $"{c.Key} {(c.Value is { } ms ? ms.ToString("N0", CultureInfo.InvariantCulture) + " ms" : "unread")}"))}.")
            .AppendLine()
            .AppendLine(CultureInfo.InvariantCulture, $"Worker resident memory after the drain (VmRSS now / VmHWM peak): {string.Join("; ", workerMemory.Select(m => $"{m.Name} {Megabytes(m.ResidentMb)} / {Megabytes(m.PeakMb)} MB{(m.EmbeddingModelLoaded ? ", embedding model loaded" : ", embedding model not loaded")}"))}.")
            .ToString();
        Write(
            "7-load",
            new JsonObject
            {
                ["clients"] = clients, ["workers"] = workers, ["slots"] = slots, ["model_latency_ms"] = latencyMs,
                ["server_errors"] = serverErrors, ["accepted"] = accepted.Count, ["succeeded"] = succeeded,
                ["submit_ms"] = submit.ToJson(), ["submit_seconds"] = submitSeconds, ["drain_seconds"] = drainSeconds,
                ["worker_peak_resident_mb"] = peakWorkerMb,
            },
            markdown,
            [
                Goals.LoadServerErrors(serverErrors, clients),
                Goals.LoadSubmitP99(submit.P99),
                Goals.LoadWorkerPeakResident(peakWorkerMb),
            ]);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(serverErrors, Is.Zero, "no request answers 5xx");
            Assert.That(succeeded, Is.EqualTo(accepted.Count), "every accepted run finished");
        }
    }

    private static async Task EmbedManualPagesAsync(AgentSystem system)
    {
        // The ingest command reads a directory; a copy of just AgentSystem's pages keeps the collection as it is
        // (same file names: unchanged pages are skipped) and embeds its chunks that have no vector.
        var pages = System.IO.Directory.CreateTempSubdirectory("agent-load-pages-");
        try
        {
            foreach (var page in AgentSystem.ManualPages)
            {
                File.Copy(Path.Combine(AgentSystem.ManualDirectory, page), Path.Combine(pages.FullName, page));
            }

            var (exit, output) = await system.RunWorkerCommandAsync(["ingest", "--path", pages.FullName], TimeSpan.FromMinutes(5));
            Assert.That(exit, Is.Zero, $"the worker's ingest command embeds the pages:\n{output}");
            Assert.That(output, Does.Contain("chunk texts embedded with"), $"the ingest embedded the pages' chunks:\n{output}");
        }
        finally
        {
            pages.Delete(recursive: true);
        }
    }

    private static string Megabytes(double? mb) => mb is { } value ? value.ToString("N0", CultureInfo.InvariantCulture) : "unread";

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    private static Dictionary<string, string?> WorkerEnvironment(
        FakeOpenAIServer model, int number, string? slots, IReadOnlyDictionary<string, string?> budget)
    {
        var environment = new Dictionary<string, string?>(budget)
        {
            ["OPENAI_API_KEY"] = "sk-load-fake",
            ["OPENAI_BASE_URL"] = model.BaseUrl.ToString(),
            ["AGENT_MODEL"] = "gpt-4o-mini",
            ["AgentWorker__InstanceId"] = $"load-worker-{number}",
        };
        if (slots is not null)
        {
            environment["AgentWorker__Slots"] = slots;
        }

        return environment;
    }

    // One client: a thread, then a run on it. A status that is not 2xx is recorded (429/503 are allowed, 5xx counted).
    private static async Task<ClientResult> ClientAsync(HttpClient http, string question)
    {
        var statuses = new List<int>();
        var started = Stopwatch.GetTimestamp();
        using var thread = await http.PostAsync(new Uri("/threads", UriKind.Relative), Json("{}"));
        statuses.Add((int)thread.StatusCode);
        if (!thread.IsSuccessStatusCode)
        {
            return new ClientResult(statuses, null, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        var threadId = JsonNode.Parse(await thread.Content.ReadAsStringAsync())!["thread_id"]!.GetValue<string>();
        var threadMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var body = new JsonObject
        {
            ["assistant_id"] = "agent",
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }) },
        };
        using var run = await http.PostAsync(new Uri($"/threads/{threadId}/runs", UriKind.Relative), Json(body.ToJsonString()));
        statuses.Add((int)run.StatusCode);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        return run.IsSuccessStatusCode
            ? new ClientResult(statuses, Guid.Parse(JsonNode.Parse(await run.Content.ReadAsStringAsync())!["run_id"]!.GetValue<string>()), elapsed, threadMs)
            : new ClientResult(statuses, null, elapsed, threadMs);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<Dictionary<string, int>> WaitForEndAsync(NpgsqlDataSource database, List<Guid> runIds, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        while (true)
        {
            var byStatus = new Dictionary<string, int>();
            await using (var command = database.CreateCommand("SELECT status, count(*) FROM agent.runs WHERE run_id = ANY($1) GROUP BY status"))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = runIds.ToArray() });
                await using var reader = await command.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    byStatus[reader.GetString(0)] = (int)reader.GetInt64(1);
                }
            }

            var ended = BenchSystem.TerminalStatuses.Sum(s => byStatus.GetValueOrDefault(s));
            if (ended == runIds.Count || DateTime.UtcNow > deadline)
            {
                return byStatus;
            }

            await poll.WaitForNextTickAsync();
        }
    }

    // SubmitMs: thread + run; ThreadMs: the thread's POST alone (ms).
    private sealed record ClientResult(IReadOnlyList<int> Statuses, Guid? RunId, double SubmitMs, double ThreadMs = 0);
}

/// <summary>One worker's memory after the load.</summary>
/// <param name="Name">The process (<c>worker-1</c>).</param>
/// <param name="ResidentMb">VmRSS after the drain, MB; null when unread.</param>
/// <param name="PeakMb">VmHWM (peak resident over its life), MB; null when unread.</param>
/// <param name="EmbeddingModelLoaded">Whether ONNX Runtime's library is mapped, i.e. the embedding model was loaded.</param>
internal sealed record WorkerMemory(string Name, double? ResidentMb, double? PeakMb, bool EmbeddingModelLoaded);
