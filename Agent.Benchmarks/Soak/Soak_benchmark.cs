using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Tests.Faults;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using static Agent.Benchmarks.BenchmarkOutput;

namespace Agent.Benchmarks.Soak;

/// <summary>
/// The soak command (<c>deploy/local/soak.sh --minutes N</c>, issue 15): runs keep arriving at a set rate against
/// 1 API and 3 worker processes on their own private PostgreSQL and RabbitMQ (<see cref="PrivatePostgres"/>,
/// <see cref="PrivateRabbitMq"/>: restarting them never touches the shared servers), with the fake OpenAI-compatible
/// model at a realistic latency. Every <c>AGENT_SOAK_KILL_SECONDS</c> (30) a random worker is killed with SIGKILL
/// and a fresh one started; RabbitMQ restarts once a third of the way in and PostgreSQL once two thirds in. Every
/// third client streams its run over SSE (reconnecting with <c>Last-Event-ID</c> whenever its stream breaks); the
/// others submit in the background. At the end it checks that every accepted run reached <c>success</c>, that no
/// step was committed twice (each run's checkpoint steps distinct and contiguous, its events contiguous), that every
/// streaming client received exactly the events a full replay of its run gives, that no request answered a 5xx other than 503 with Retry-After (which the client retries), and
/// that each long-lived process's memory stayed flat. Timings and memory are reported; the memory check is a bound
/// on growth, not a timing.
/// Settings: <c>AGENT_SOAK_MINUTES</c> (3), <c>AGENT_SOAK_RATE</c> (runs per second, 1),
/// <c>AGENT_SOAK_MODEL_LATENCY_MS</c> (300), <c>AGENT_SOAK_KILL_SECONDS</c> (30).
/// </summary>
[TestFixture]
[Explicit("Soak test: deploy/local/soak.sh runs it")]
[Category("Soak")]
[NonParallelizable]
public sealed class Soak_benchmark
{
    private const int Workers = 3;

    /// <summary>How many times one streaming client rejoins its run before the soak gives up on it: 100.</summary>
    private const int MaxReconnects = 100;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MemorySampleEvery = TimeSpan.FromSeconds(2);

    [Test]
    public async Task Survives_worker_kills_and_server_restarts_under_steady_arrivals()
    {
        var minutes = Setting("AGENT_SOAK_MINUTES", 3.0);
        var rate = Setting("AGENT_SOAK_RATE", 1.0);
        var latencyMs = (int)Setting("AGENT_SOAK_MODEL_LATENCY_MS", 300.0);
        var killEvery = TimeSpan.FromSeconds(Setting("AGENT_SOAK_KILL_SECONDS", 30.0));
        var duration = TimeSpan.FromMinutes(minutes);

        await using var database = await PrivatePostgres.StartAsync();
        await using var broker = await PrivateRabbitMq.StartAsync();
        await using var faults = await FaultSystem.StartAsync(
            Workers, TimeSpan.FromMilliseconds(latencyMs), database.ServerConnectionString, broker.Uri);
        var tag = Guid.NewGuid().ToString("N")[..6];
        var memory = new MemorySamples();
        var log = new List<string>();

        var started = Stopwatch.GetTimestamp();
        var stop = new CancellationTokenSource();
        var disruptions = DisruptAsync(faults, database, broker, duration, killEvery, memory, log, started, stop.Token);
        var clients = new List<Task<SoakClient>>();
        using (var http = faults.System.Client())
        {
            http.Timeout = TimeSpan.FromMinutes(10);
            using var arrivals = new PeriodicTimer(TimeSpan.FromSeconds(1 / rate));
            var index = 0;
            while (Stopwatch.GetElapsedTime(started) < duration)
            {
                await arrivals.WaitForNextTickAsync();
                var question = $"soak {tag} #{index}: How do I create a GIN index on a tsvector column?";
                clients.Add(index % 3 == 0 ? StreamingClientAsync(http, question) : BackgroundClientAsync(http, question));
                index++;
            }

            await stop.CancelAsync();
            var (kills, brokerRestarts, databaseRestarts) = await disruptions;
            var results = await Task.WhenAll(clients);
            var submitted = Stopwatch.GetElapsedTime(started);
            var accepted = results.Where(r => r.RunId is not null).ToList();
            var ended = await WaitForEndAsync(faults, accepted.Select(r => r.RunId!.Value).ToList());
            var drained = Stopwatch.GetElapsedTime(started);

            var check = await CheckRunsAsync(faults, accepted);
            var missed = 0;
            var streamed = 0;
            foreach (var client in accepted.Where(r => r.Frames is not null))
            {
                streamed++;
                var replay = await ReplayAsync(http, client);
                if (!SameEvents(client.Frames!, replay))
                {
                    missed++;
                    log.Add($"run {client.RunId}: the client received {client.Frames!.Count} events ({client.Reconnects} reconnects), a replay gives {replay.Count}; {FirstDifference(client.Frames!, replay)}");
                }
            }

            var statuses = results.SelectMany(r => r.Statuses).GroupBy(s => s).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count());
            // 503 with Retry-After is the answer to a transient failure (the database restarting) and the client retries it;
            // any other 5xx is a server error.
            var serverErrors = results.SelectMany(r => r.Statuses).Count(s => s >= 500 && s != 503);
            var succeeded = ended.GetValueOrDefault(AgentRunStatus.Success);
            var repeatedCalls = accepted.Sum(r => Math.Max(0, faults.RequestsFor(r.Question).Count - check.ModelSteps.GetValueOrDefault(r.RunId!.Value)));
            var processes = memory.Summaries(duration);
            var notFlat = processes.Where(p => p.Judged && !p.Flat).ToList();

            var markdown = new StringBuilder()
                .AppendLine("## Soak: steady arrivals through worker kills and server restarts")
                .AppendLine()
                .AppendLine(CultureInfo.InvariantCulture, $"{minutes:0.#} min at {rate:0.##} runs/s; 1 API, {Workers} workers (1 slot each), fake model {latencyMs} ms per call; a worker killed -9 every {killEvery.TotalSeconds:0} s, RabbitMQ restarted at 1/3, PostgreSQL at 2/3 (private servers). Every third client streams over SSE and reconnects with Last-Event-ID when its stream breaks.")
                .AppendLine()
                .AppendLine("| runs accepted | finished success | other | kills | broker / database restarts | steps committed twice | model calls repeated after a fault | SSE clients | SSE clients that missed an event | HTTP statuses | 5xx other than 503 | all submitted after s | drained after s |")
                .AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
                .AppendLine(CultureInfo.InvariantCulture, $"| {accepted.Count} | {succeeded} | {accepted.Count - succeeded} | {kills} | {brokerRestarts} / {databaseRestarts} | {check.StepsCommittedTwice} | {repeatedCalls} | {streamed} | {missed} | {string.Join(", ", statuses.Select(s => $"{s.Key}: {s.Value}"))} | {serverErrors} | {submitted.TotalSeconds:F0} | {drained.TotalSeconds:F0} |")
                .AppendLine()
                .AppendLine("| process | lived s | RSS first / middle / last third, median MB | peak MB | slope MB/min (after the first third) | flat |")
                .AppendLine("|---|---|---|---|---|---|");
            foreach (var p in processes)
            {
                markdown.AppendLine(CultureInfo.InvariantCulture, $"| {p.Name} | {p.LivedSeconds:F0} | {p.FirstMb:F0} / {p.MiddleMb:F0} / {p.LastMb:F0} | {p.PeakMb:F0} | {p.SlopeMbPerMinute:F1} | {(p.Judged ? (p.Flat ? "yes" : "NO") : "lived too short to judge")} |");
            }

            foreach (var line in log)
            {
                markdown.AppendLine().Append("- ").Append(line);
            }

            Write(
                "8-soak",
                new JsonObject
                {
                    ["minutes"] = minutes, ["rate"] = rate, ["model_latency_ms"] = latencyMs, ["accepted"] = accepted.Count,
                    ["succeeded"] = succeeded, ["kills"] = kills, ["broker_restarts"] = brokerRestarts, ["database_restarts"] = databaseRestarts,
                    ["steps_committed_twice"] = check.StepsCommittedTwice, ["model_calls_repeated"] = repeatedCalls,
                    ["sse_clients"] = streamed, ["sse_clients_missed"] = missed, ["server_errors"] = serverErrors,
                    ["memory"] = new JsonArray([.. processes.Select(p => (JsonNode)new JsonObject
                    {
                        ["process"] = p.Name, ["first_mb"] = p.FirstMb, ["middle_mb"] = p.MiddleMb, ["last_mb"] = p.LastMb,
                        ["peak_mb"] = p.PeakMb, ["slope_mb_per_min"] = p.SlopeMbPerMinute, ["flat"] = p.Flat,
                    })]),
                },
                markdown.ToString(),
                [
                    Goals.SoakFinished(succeeded, accepted.Count),
                    Goals.SoakStepsCommittedTwice(check.StepsCommittedTwice),
                    Goals.SoakMissedEvents(missed, streamed),
                ]);

            using (Assert.EnterMultipleScope())
            {
                Assert.That(accepted, Is.Not.Empty, "runs were accepted");
                Assert.That(kills, Is.GreaterThan(0), "at least one worker was killed");
                Assert.That(succeeded, Is.EqualTo(accepted.Count), "every accepted run finished with success");
                Assert.That(check.StepsCommittedTwice, Is.Zero, "no step committed twice");
                Assert.That(check.Broken, Is.Empty, "each run's steps and events are contiguous");
                Assert.That(missed, Is.Zero, "no SSE client missed an event");
                Assert.That(serverErrors, Is.Zero, "no request answered a 5xx other than 503 (Retry-After)");
                Assert.That(notFlat.Select(p => p.Name), Is.Empty, "memory stayed flat");
            }
        }
    }

    // The same events: names and ids equal, data equal as JSON (the live renderer and the replay may order an object's
    // keys differently, which no JSON client can tell apart).
    private static bool SameEvents(List<SseFrame> received, List<SseFrame> replay) =>
        received.Count == replay.Count && received.Zip(replay).All(p => SameEvent(p.First, p.Second));

    private static bool SameEvent(SseFrame a, SseFrame b) =>
        a.Event == b.Event && a.Id == b.Id && JsonNode.DeepEquals(JsonNode.Parse(a.Data), JsonNode.Parse(b.Data));

    private static string FirstDifference(List<SseFrame> received, List<SseFrame> replay)
    {
        var i = 0;
        while (i < received.Count && i < replay.Count && SameEvent(received[i], replay[i]))
        {
            i++;
        }

        static string Show(List<SseFrame> frames, int i) =>
            i < frames.Count ? $"{frames[i].Event} id {frames[i].Id}: {frames[i].Data[..Math.Min(240, frames[i].Data.Length)]}" : "nothing";
        return $"event {i}: received {Show(received, i)} / replay {Show(replay, i)}";
    }

    private static double Setting(string name, double fallback) =>
        double.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    // The faults, on their own schedule, until the arrivals stop: a kill -9 every killEvery (then a fresh worker, so
    // three stay alive), RabbitMQ at 1/3 of the duration, PostgreSQL at 2/3; memory sampled throughout.
    private static async Task<(int Kills, int BrokerRestarts, int DatabaseRestarts)> DisruptAsync(
        FaultSystem faults, PrivatePostgres database, PrivateRabbitMq broker, TimeSpan duration, TimeSpan killEvery,
        MemorySamples memory, List<string> log, long started, CancellationToken stop)
    {
        var kills = 0;
        var brokerRestarts = 0;
        var databaseRestarts = 0;
        var nextKill = killEvery;
        using var tick = new PeriodicTimer(MemorySampleEvery);
        while (!stop.IsCancellationRequested)
        {
            var now = Stopwatch.GetElapsedTime(started);
            memory.Sample(now, faults.System);
            if (now >= nextKill)
            {
                var live = faults.LiveWorkers.ToList();
                var victim = live[Random.Shared.Next(live.Count)];
                await victim.SignalAsync("KILL");
                kills++;
                log.Add($"{now.TotalSeconds:F0} s: killed {victim.Name} (-9)");
                await faults.EnsureWorkersAsync(Workers);
                nextKill += killEvery;
            }

            if (brokerRestarts == 0 && now >= duration / 3)
            {
                await broker.RestartAsync();
                brokerRestarts++;
                log.Add($"{now.TotalSeconds:F0} s: restarted RabbitMQ");
            }

            if (databaseRestarts == 0 && now >= duration * 2 / 3)
            {
                await database.RestartAsync();
                // The soak's own pooled connections died with the server; the system's processes must cope alone.
                NpgsqlConnection.ClearAllPools();
                databaseRestarts++;
                log.Add($"{now.TotalSeconds:F0} s: restarted PostgreSQL");
            }

            try
            {
                await tick.WaitForNextTickAsync(stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        memory.Sample(Stopwatch.GetElapsedTime(started), faults.System);
        return (kills, brokerRestarts, databaseRestarts);
    }

    // A client that submits in the background: a thread, then a run, each retried after Retry-After on 429/503.
    private static async Task<SoakClient> BackgroundClientAsync(HttpClient http, string question)
    {
        var statuses = new List<int>();
        var threadId = await CreateThreadAsync(http, statuses);
        if (threadId is null)
        {
            return new SoakClient(question, statuses, null, null, null, 0);
        }

        using var run = await SendWithRetryAsync(http, () => Post($"/threads/{threadId}/runs", RunBody(question)), statuses);
        return run.IsSuccessStatusCode
            ? new SoakClient(question, statuses, threadId, Guid.Parse(JsonNode.Parse(await run.Content.ReadAsStringAsync())!["run_id"]!.GetValue<string>()), null, 0)
            : new SoakClient(question, statuses, threadId, null, null, 0);
    }

    // A client that streams its run: POST .../runs/stream, then, whenever the stream breaks before the run ended,
    // GET .../runs/{id}/stream with the last event id it saw, as the SDKs do.
    private static async Task<SoakClient> StreamingClientAsync(HttpClient http, string question)
    {
        var statuses = new List<int>();
        var threadId = await CreateThreadAsync(http, statuses);
        if (threadId is null)
        {
            return new SoakClient(question, statuses, null, null, null, 0);
        }

        var frames = new List<SseFrame>();
        Guid? runId = null;
        string? lastEventId = null;
        var reconnects = -1;
        while (reconnects < MaxReconnects)
        {
            reconnects++;
            var request = runId is null
                ? () => Post($"/threads/{threadId}/runs/stream", RunBody(question))
                : (Func<HttpRequestMessage>)(() => Stream($"/threads/{threadId}/runs/{runId}/stream", lastEventId));
            HttpResponseMessage response;
            try
            {
                response = await SendWithRetryAsync(http, request, statuses, HttpCompletionOption.ResponseHeadersRead);
            }
            catch (HttpRequestException)
            {
                continue;
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    return new SoakClient(question, statuses, threadId, runId, runId is null ? null : frames, reconnects);
                }

                if (runId is null && response.Headers.TryGetValues("Content-Location", out var locations))
                {
                    // Content-Location is the run's path, /threads/{thread_id}/runs/{run_id}, as the SDKs read it.
                    runId = Guid.Parse(locations.First().TrimEnd('/').Split('/')[^1].Split('?')[0]);
                }
                else if (runId is null && response.Content.Headers.ContentLocation is { } location)
                {
                    runId = Guid.Parse(location.OriginalString.TrimEnd('/').Split('/')[^1].Split('?')[0]);
                }

                try
                {
                    await foreach (var frame in SseStream.ReadAsync(response, CancellationToken.None))
                    {
                        if (frame.Event is null or "metadata")
                        {
                            continue;
                        }

                        frames.Add(frame with { Comment = null });
                        lastEventId = frame.Id ?? lastEventId;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException)
                {
                    // The stream broke (e.g. the database restarted under the relay): rejoin from the last id.
                }
            }

            if (runId is null || await IsFinishedAsync(http, threadId, runId.Value, statuses))
            {
                return new SoakClient(question, statuses, threadId, runId, frames, reconnects);
            }
        }

        throw new InvalidOperationException($"The stream of '{question}' broke {MaxReconnects} times.");
    }

    private static async Task<bool> IsFinishedAsync(HttpClient http, string threadId, Guid runId, List<int> statuses)
    {
        using var response = await SendWithRetryAsync(http, () => new HttpRequestMessage(HttpMethod.Get, $"/threads/{threadId}/runs/{runId}"), statuses);
        if (!response.IsSuccessStatusCode)
        {
            return false;
        }

        var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!.GetValue<string>();
        return status is not ("pending" or "running");
    }

    // After the run ended: every event of its stream from the start, as a client that joins late gets them.
    private static async Task<List<SseFrame>> ReplayAsync(HttpClient http, SoakClient client)
    {
        var statuses = new List<int>();
        using var response = await SendWithRetryAsync(
            http, () => Stream($"/threads/{client.ThreadId}/runs/{client.RunId}/stream", "-1"), statuses, HttpCompletionOption.ResponseHeadersRead);
        var frames = new List<SseFrame>();
        await foreach (var frame in SseStream.ReadAsync(response, CancellationToken.None))
        {
            if (frame.Event is not (null or "metadata"))
            {
                frames.Add(frame with { Comment = null });
            }
        }

        return frames;
    }

    private static async Task<string?> CreateThreadAsync(HttpClient http, List<int> statuses)
    {
        using var thread = await SendWithRetryAsync(http, () => Post("/threads", "{}"), statuses);
        return thread.IsSuccessStatusCode ? JsonNode.Parse(await thread.Content.ReadAsStringAsync())!["thread_id"]!.GetValue<string>() : null;
    }

    // Sends, and on 429 or 503 waits the Retry-After the server gave (at most 30 attempts), as a well-behaved client
    // does. Every status is recorded; a 5xx other than 503 is not retried.
    private static async Task<HttpResponseMessage> SendWithRetryAsync(
        HttpClient http, Func<HttpRequestMessage> request, List<int> statuses, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await http.SendAsync(request(), completion);
            lock (statuses)
            {
                statuses.Add((int)response.StatusCode);
            }

            if (response.StatusCode is not (HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable) || attempt == 30)
            {
                return response;
            }

            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
            response.Dispose();
            await Task.Delay(wait);
        }
    }

    private static HttpRequestMessage Post(string path, string json) =>
        new(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static HttpRequestMessage Stream(string path, string? lastEventId)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        return request;
    }

    private static string RunBody(string question) =>
        new JsonObject
        {
            ["assistant_id"] = "agent",
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }) },
            ["stream_mode"] = new JsonArray("values", "updates"),
        }.ToJsonString();

    private static async Task<Dictionary<AgentRunStatus, int>> WaitForEndAsync(FaultSystem faults, List<Guid> runIds)
    {
        var byStatus = new Dictionary<AgentRunStatus, int>();
        await faults.PollAsync(
            async () =>
            {
                if (runIds.Count > 0 && await faults.TryLoadRunAsync(runIds[0]) is null)
                {
                    return false; // the database is not reachable yet (a restart)
                }

                await using var context = faults.System.Database.CreateContext();
                byStatus = (await context.Runs.AsNoTracking().Where(r => runIds.Contains(r.RunId))
                    .GroupBy(r => r.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync())
                    .ToDictionary(g => g.Key, g => g.Count);
                return byStatus.Where(s => AgentRunStatus.IsTerminal(s.Key)).Sum(s => s.Value) == runIds.Count;
            },
            DrainTimeout,
            $"{runIds.Count} accepted runs to end");
        return byStatus;
    }

    // Per run: its checkpoint steps are distinct and contiguous (a step committed twice would repeat one), and its
    // events are 1..last_event_sequence. Also counts each run's committed model steps, for the repeated-call figure.
    private static async Task<RunCheck> CheckRunsAsync(FaultSystem faults, List<SoakClient> accepted)
    {
        var runIds = accepted.Select(r => r.RunId!.Value).ToList();
        await using var context = faults.System.Database.CreateContext();
        var steps = (await context.Checkpoints.AsNoTracking().Where(c => c.RunId != null && runIds.Contains(c.RunId.Value))
            .Select(c => new { RunId = c.RunId!.Value, c.Step, c.Node }).ToListAsync()).ToLookup(c => c.RunId);
        var events = (await context.RunEvents.AsNoTracking().Where(e => runIds.Contains(e.RunId))
            .Select(e => new { e.RunId, e.Sequence }).ToListAsync()).ToLookup(e => e.RunId, e => e.Sequence);
        var last = await context.Runs.AsNoTracking().Where(r => runIds.Contains(r.RunId))
            .ToDictionaryAsync(r => r.RunId, r => r.LastEventSequence);
        var twice = 0;
        var broken = new List<string>();
        var modelSteps = new Dictionary<Guid, int>();
        foreach (var runId in runIds)
        {
            var runSteps = steps[runId].Select(s => s.Step).ToList();
            twice += runSteps.Count - runSteps.Distinct().Count();
            if (runSteps.Count > 0 && runSteps.Max() - runSteps.Min() + 1 != runSteps.Distinct().Count())
            {
                broken.Add($"run {runId}: steps {string.Join(",", runSteps.Order())}");
            }

            var sequences = events[runId].Order().ToList();
            if (!sequences.SequenceEqual(Enumerable.Range(1, (int)last[runId]).Select(i => (long)i)))
            {
                broken.Add($"run {runId}: events {sequences.Count} of {last[runId]}");
            }

            modelSteps[runId] = steps[runId].Count(s => s.Node == "agent");
        }

        return new RunCheck(twice, broken, modelSteps);
    }

    private sealed record SoakClient(string Question, List<int> Statuses, string? ThreadId, Guid? RunId, List<SseFrame>? Frames, int Reconnects);

    private sealed record RunCheck(int StepsCommittedTwice, List<string> Broken, Dictionary<Guid, int> ModelSteps);
}
