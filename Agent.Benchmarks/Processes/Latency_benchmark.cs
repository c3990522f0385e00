using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Tests.Infrastructure;
using Npgsql;
using static Agent.Benchmarks.BenchmarkOutput;
using static Agent.Benchmarks.Distribution;

namespace Agent.Benchmarks.Processes;

/// <summary>
/// Submit-to-first-event latency of a streamed run, and the SSE relay's latency: from the commit time a worker stamps
/// on each event (<c>run_events.created_at</c>, the <c>CreatedAt</c> it publishes) to the client reading it. One run at
/// a time on an idle system, model at 0 ms. See BENCHMARKS.md, "Latency".
/// </summary>
[TestFixture]
[Explicit("Benchmark: deploy/local/bench.sh runs it")]
[Category("Benchmark")]
[NonParallelizable]
public sealed class Latency_benchmark
{
    private const int WarmUpRuns = 3;

    [Test]
    public async Task Measures_submit_to_first_event_and_sse_relay_latency()
    {
        await using var bench = await BenchSystem.StartAsync(slots: 1);
        using var client = bench.System.Client();
        var firstEvent = new List<double>();
        var firstStep = new List<double>();
        var relay = new List<double>();
        var runs = Pick(10, 50);
        for (var i = 0; i < WarmUpRuns + runs; i++)
        {
            var sample = await StreamOneRunAsync(client, bench.System.Database.DataSource);
            if (i >= WarmUpRuns)
            {
                firstEvent.Add(sample.FirstEventMs);
                firstStep.Add(sample.FirstStepMs);
                relay.AddRange(sample.RelayMs);
            }
        }

        Assert.That(relay, Has.Count.EqualTo(runs * 4), "each run relays 4 step events: input, agent, tools, agent");
        Report(Of(firstEvent), Of(firstStep), Of(relay), firstEvent, relay);
    }

    private static async Task<Sample> StreamOneRunAsync(HttpClient client, NpgsqlDataSource dataSource)
    {
        var body = new JsonObject
        {
            ["assistant_id"] = "agent",
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "What does VACUUM do?" }) },
            ["stream_mode"] = new JsonArray("values", "updates"),
            ["if_not_exists"] = "create",
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/threads/{Guid.NewGuid()}/runs/stream")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        var submitted = Stopwatch.GetTimestamp();
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.That(response.IsSuccessStatusCode, Is.True, $"POST .../runs/stream answered {(int)response.StatusCode}");

        var received = new Dictionary<long, (DateTimeOffset At, double SinceSubmitMs)>();
        Guid? runId = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await foreach (var frame in SseStream.ReadAsync(response, timeout.Token))
        {
            if (frame.Event == "metadata")
            {
                runId = Guid.Parse(JsonNode.Parse(frame.Data)!["run_id"]!.GetValue<string>());
            }
            else if (frame.Id is { } id && long.Parse(id) is var sequence and >= 1 && !received.ContainsKey(sequence))
            {
                received[sequence] = (DateTimeOffset.UtcNow, Stopwatch.GetElapsedTime(submitted).TotalMilliseconds);
            }
        }

        await using var command = dataSource.CreateCommand("SELECT sequence, created_at FROM agent.run_events WHERE run_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = runId ?? throw new AssertionException("no metadata event") });
        var relay = new List<double>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (received.TryGetValue(reader.GetInt64(0), out var at))
            {
                relay.Add((at.At - await reader.GetFieldValueAsync<DateTimeOffset>(1)).TotalMilliseconds);
            }
        }

        return new Sample(received[1].SinceSubmitMs, received[2].SinceSubmitMs, relay);
    }

    private static void Report(Distribution firstEvent, Distribution firstStep, Distribution relay, List<double> firstEventSamples, List<double> relaySamples)
    {
        var md = new StringBuilder();
        md.Append("## Latency (real processes, idle system, model at 0 ms)\n\n");
        md.Append("Submit to first event: from sending `POST /threads/{id}/runs/stream` to reading the first event a worker produced ");
        md.Append("(the input checkpoint's `values`, sequence 1); first step: the first model step's event (sequence 2). ");
        md.Append("SSE relay: from the event's commit time stamped by the worker (`run_events.created_at` = the published `CreatedAt`, ");
        md.Append("taken as its step transaction begins) to the client reading it, through RabbitMQ, the API's fan-out queue and SSE.\n\n");
        md.Append("| latency | samples | p50 ms | p90 ms | p99 ms | max ms |\n|---|---|---|---|---|---|\n");
        foreach (var (label, d) in new[] { ("submit → first event", firstEvent), ("submit → first model step event", firstStep), ("SSE relay, per event", relay) })
        {
            md.Append($"| {label} | {d.Count} | {Format(d.P50)} | {Format(d.P90)} | {Format(d.P99)} | {Format(d.Max)} |\n");
        }

        Write(
            "3-latency",
            new JsonObject
            {
                ["submit_to_first_event_ms"] = firstEvent.ToJson(),
                ["submit_to_first_step_event_ms"] = firstStep.ToJson(),
                ["sse_relay_ms"] = relay.ToJson(),
                ["submit_to_first_event_samples_ms"] = new JsonArray([.. firstEventSamples.Select(s => (JsonNode)Math.Round(s, 3))]),
                ["sse_relay_samples_ms"] = new JsonArray([.. relaySamples.Select(s => (JsonNode)Math.Round(s, 3))]),
            },
            md.ToString(),
            [Goals.FirstEvent(firstEvent.P50)]);
    }

    private sealed record Sample(double FirstEventMs, double FirstStepMs, List<double> RelayMs);
}
