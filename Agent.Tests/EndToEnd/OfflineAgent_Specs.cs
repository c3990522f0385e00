using System.Net;
using System.Text.Json.Nodes;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using static Agent.Tests.EndToEnd.EndToEndClient;

namespace Agent.Tests.EndToEnd;

[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_a_question_is_asked_over_http_of_the_offline_agent
{
    private AgentSystem system = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => system = await AgentSystem.StartAsync(apiCount: 1);

    [OneTimeTearDown]
    public async Task StopAsync() => await system.DisposeAsync();

    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(system.Logs());
        }
    }

    [Test]
    public async Task Should_stream_metadata_then_every_step_and_close_when_the_run_succeeds()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);

        var (response, frames) = await StreamRunAsync(client, threadId, RunBody(GinQuestion));

        var events = frames.Where(f => f.Event is not null).ToList();
        var metadata = JsonNode.Parse(events[0].Data)!;
        var runId = metadata["run_id"]!.GetValue<string>();
        var updates = events.Where(e => e.Event == "updates").Select(e => JsonNode.Parse(e.Data)!.AsObject().Single().Key).ToList();
        var finalValues = JsonNode.Parse(events.Last(e => e.Event == "values").Data)!["messages"]!.AsArray();
        var answer = finalValues[^1]!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
            Assert.That(response.Content.Headers.ContentLocation!.ToString(), Is.EqualTo($"/threads/{threadId}/runs/{runId}"));
            Assert.That(events[0].Event, Is.EqualTo("metadata"));
            Assert.That(metadata["attempt"]!.GetValue<int>(), Is.EqualTo(1));
            Assert.That(events, Has.All.Matches<SseFrame>(e => e.Id is not null), "every event carries an id");
            Assert.That(updates, Is.EqualTo(new[] { "agent", "tools", "agent" }));
            Assert.That(finalValues.Select(m => m!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "human", "ai", "tool", "ai" }));
            Assert.That(answer["content"]!.GetValue<string>(), Does.Contain("CREATE INDEX").And.Contain("USING GIN"));
            Assert.That(answer["content"]!.GetValue<string>(), Does.Contain("textsearch-"), "cites the manual page");
            Assert.That(answer["response_metadata"]!["model_provider"]!.GetValue<string>(), Is.EqualTo("offline"));
        }

        var run = await GetJsonAsync(client, $"/threads/{threadId}/runs/{runId}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(run["status"]!.GetValue<string>(), Is.EqualTo("success"));
            Assert.That(run["step_count"]!.GetValue<int>(), Is.EqualTo(3));
            Assert.That(run["usage"]!["input_tokens"]!.GetValue<long>(), Is.GreaterThan(0));
            Assert.That(run["cost_usd"]!.GetValue<decimal>(), Is.Zero);
        }
    }

    [Test]
    public async Task Should_store_the_runs_checkpoints_and_events_in_order()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        var (_, frames) = await StreamRunAsync(client, threadId, RunBody("What does VACUUM do?"));
        var runId = Guid.Parse(JsonNode.Parse(frames.First(f => f.Event == "metadata").Data)!["run_id"]!.GetValue<string>());

        await using var context = system.Database.CreateContext();
        var checkpoints = await context.Checkpoints.AsNoTracking().Where(c => c.RunId == runId).OrderBy(c => c.Sequence).ToListAsync();
        var events = await context.RunEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Sequence).ToListAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(checkpoints.Select(c => c.Step), Is.EqualTo(new[] { -1, 0, 1, 2, 3 }));
            Assert.That(checkpoints.Select(c => c.Node), Is.EqualTo(new[] { "__input__", "__start__", "agent", "tools", "agent" }));
            Assert.That(checkpoints.Skip(1).Select(c => c.ParentCheckpointId), Is.EqualTo(checkpoints.SkipLast(1).Select(c => (Guid?)c.CheckpointId)));
            Assert.That(events.Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
            Assert.That(events.Select(e => e.Kind), Is.EqualTo(new[] { "step", "step", "step", "step", "status" }));
            Assert.That(events[^1].Data, Does.Contain("success"));
        }
    }

    [Test]
    public async Task Should_replay_a_finished_run_from_exactly_the_last_event_id()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        var (_, first) = await StreamRunAsync(client, threadId, RunBody(GinQuestion, """["updates"]"""));
        var runId = JsonNode.Parse(first.First(f => f.Event == "metadata").Data)!["run_id"]!.GetValue<string>();

        var join = new HttpRequestMessage(HttpMethod.Get, $"/threads/{threadId}/runs/{runId}/stream?stream_mode=updates");
        join.Headers.Add("Last-Event-ID", "2");
        var (_, replay) = await StreamAsync(client, join);
        var all = new HttpRequestMessage(HttpMethod.Get, $"/threads/{threadId}/runs/{runId}/stream?stream_mode=updates");
        all.Headers.Add("Last-Event-ID", "-1");
        var (_, everything) = await StreamAsync(client, all);

        var replayed = replay.Where(f => f.Event == "updates").ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(replay.First().Event, Is.EqualTo("metadata"));
            Assert.That(replayed.Select(f => f.Id), Is.EqualTo(new[] { "3", "4" }));
            // Same JSON as streamed live (key order may differ: the replay comes from jsonb).
            var live = first.Where(f => f.Event == "updates").Skip(1).Select(f => JsonNode.Parse(f.Data)).ToList();
            Assert.That(
                replayed.Select((f, i) => JsonNode.DeepEquals(JsonNode.Parse(f.Data), live[i])),
                Is.EqualTo(new[] { true, true }));
            Assert.That(everything.Where(f => f.Event == "updates").Select(f => f.Id), Is.EqualTo(new[] { "2", "3", "4" }));
        }
    }

    [Test]
    public async Task Should_give_every_event_its_own_id_and_replay_exactly_what_follows_any_of_them()
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);
        const string Modes = """["values","updates","messages-tuple","custom","tasks"]""";
        var (_, first) = await StreamRunAsync(client, threadId, RunBody(GinQuestion, Modes));
        var runId = JsonNode.Parse(first.First(f => f.Event == "metadata").Data)!["run_id"]!.GetValue<string>();
        var everything = await JoinAsync("-1");

        var mismatches = new List<string>();
        for (var i = 0; i < everything.Count; i++)
        {
            var replay = await JoinAsync(everything[i].Id!);
            var expected = everything.Skip(i + 1).Select(Describe).ToList();
            var actual = replay.Select(Describe).ToList();
            if (!expected.SequenceEqual(actual))
            {
                mismatches.Add($"after {everything[i].Event} {everything[i].Id}: expected [{string.Join(", ", expected)}], got [{string.Join(", ", actual)}]");
            }
        }

        var metadataOfAJoin = await JoinFramesAsync(everything[3].Id!);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(everything.Select(f => f.Id), Is.Unique, "one id per event");
            Assert.That(everything.Select(f => f.Event).Distinct(), Is.SupersetOf(new[] { "values", "updates", "messages", "custom", "tasks" }));
            Assert.That(mismatches, Is.Empty, "a reconnect from any event gets exactly the events after it");
            Assert.That(first.First(f => f.Event == "metadata").Id, Is.EqualTo("0"));
            Assert.That(metadataOfAJoin.First(f => f.Event == "metadata").Id, Is.Null, "a replayed metadata event leaves the client's Last-Event-ID as it was");
        }

        async Task<List<SseFrame>> JoinFramesAsync(string lastEventId)
        {
            var join = new HttpRequestMessage(HttpMethod.Get, $"/threads/{threadId}/runs/{runId}/stream?stream_mode={Uri.EscapeDataString(Modes)}");
            join.Headers.Add("Last-Event-ID", lastEventId);
            return (await StreamAsync(client, join)).Frames;
        }

        async Task<List<SseFrame>> JoinAsync(string lastEventId) =>
            (await JoinFramesAsync(lastEventId)).Where(f => f.Event is not null and not "metadata").ToList();

        static string Describe(SseFrame frame) => $"{frame.Event} {frame.Id} {JsonNode.Parse(frame.Data)!.ToJsonString()}";
    }

    [Test]
    public async Task Should_wait_for_a_stateless_run_and_return_its_final_values()
    {
        using var client = system.Client();

        var values = await PostJsonAsync(client, "/runs/wait", RunBody("How do I create an index?"));

        var messages = values["messages"]!.AsArray();
        Assert.That(messages[^1]!["content"]!.GetValue<string>(), Does.Contain("CREATE INDEX"));
    }

    [TestCase("/threads/{thread}/runs", "{\"assistant_id\": \"agent\", ", HttpStatusCode.BadRequest, "not valid JSON")]
    [TestCase("/threads/{thread}/runs", "[1,2]", HttpStatusCode.UnprocessableEntity, "must be a JSON object")]
    [TestCase("/threads/{thread}/runs", "{\"assistant_id\": \"no-such-graph\"}", HttpStatusCode.NotFound, "Thread or assistant not found.")]
    [TestCase("/threads/{thread}/runs", "{\"assistant_id\": \"agent\", \"input\": {\"messages\": \"hi\"}}", HttpStatusCode.UnprocessableEntity, "input.messages must be a list")]
    [TestCase("/threads/00000000-0000-0000-0000-000000000001/runs", "{\"assistant_id\": \"agent\"}", HttpStatusCode.NotFound, "Thread or assistant not found.")]
    [TestCase("/threads/not-a-uuid/runs", "{\"assistant_id\": \"agent\"}", HttpStatusCode.UnprocessableEntity, "Invalid thread ID: must be a UUID")]
    [TestCase("/threads/{thread}/runs/stream", "{\"assistant_id\": \"agent\", \"stream_mode\": \"telepathy\"}", HttpStatusCode.UnprocessableEntity, "not supported")]
    [TestCase("/threads", "{\"thread_id\": 42}", HttpStatusCode.UnprocessableEntity, "thread_id must be a UUID")]
    public async Task Should_answer_a_bad_request_with_a_4xx_and_a_detail(string path, string body, HttpStatusCode expected, string detail)
    {
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);

        using var response = await PostAsync(client, path.Replace("{thread}", threadId, StringComparison.Ordinal), body);

        var text = await response.Content.ReadAsStringAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(expected), text);
            Assert.That(JsonNode.Parse(text)!["detail"]!.GetValue<string>(), Does.Contain(detail));
        }
    }
}
