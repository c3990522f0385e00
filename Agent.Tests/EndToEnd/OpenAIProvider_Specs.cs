using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using static Agent.Tests.EndToEnd.EndToEndClient;

namespace Agent.Tests.EndToEnd;

[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_the_worker_calls_an_OpenAI_compatible_server
{
    private FakeOpenAIServer model = null!;
    private AgentSystem system = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        model = await FakeOpenAIServer.StartAsync();
        system = await AgentSystem.StartAsync(
            apiCount: 2,
            new Dictionary<string, string?>
            {
                ["OPENAI_API_KEY"] = "sk-test-fake",
                ["OPENAI_BASE_URL"] = model.BaseUrl.ToString(),
                ["AGENT_MODEL"] = "gpt-4o-mini",
            });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await system.DisposeAsync();
        await model.DisposeAsync();
    }

    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(system.Logs());
        }
    }

    [Test]
    public async Task Should_call_the_tool_then_answer_and_record_usage_and_cost_on_the_run()
    {
        var before = model.Requests.Count;
        model.Enqueue(
            FakeChatReply.ToolCall("search_documents", new { query = "GIN index tsvector", k = 3 }, "call_gin") with { Usage = new FakeUsage(120, 15) },
            FakeChatReply.Text("Use CREATE INDEX name ON table USING GIN (column).", new FakeUsage(400, 30)));
        using var client = system.Client();
        var threadId = await CreateThreadAsync(client);

        var values = await PostJsonAsync(client, $"/threads/{threadId}/runs/wait", RunBody(GinQuestion));

        var runs = (await GetJsonAsync(client, $"/threads/{threadId}/runs")).AsArray();
        var run = runs.Single()!;
        var requests = model.Requests.Skip(before).ToList();
        var toolResult = requests[1].Messages.Single(m => m.Role == "tool");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(values["messages"]![3]!["content"]!.GetValue<string>(), Is.EqualTo("Use CREATE INDEX name ON table USING GIN (column)."));
            Assert.That(run["status"]!.GetValue<string>(), Is.EqualTo("success"));
            Assert.That(run["usage"]!["input_tokens"]!.GetValue<long>(), Is.EqualTo(520));
            Assert.That(run["usage"]!["output_tokens"]!.GetValue<long>(), Is.EqualTo(45));
            // gpt-4o-mini at USD 0.15 / 0.60 per million input / output tokens.
            Assert.That(run["cost_usd"]!.GetValue<decimal>(), Is.EqualTo(((520 * 0.15m) + (45 * 0.60m)) / 1_000_000m));
            Assert.That(requests, Has.Count.EqualTo(2));
            Assert.That(requests[0].Model, Is.EqualTo("gpt-4o-mini"));
            Assert.That(requests[0].Stream, Is.True);
            Assert.That(requests[0].Tools.Select(t => t.Name), Is.EquivalentTo(new[] { "search_documents", "read_document" }));
            Assert.That(requests[0].LastUserText, Is.EqualTo(GinQuestion));
            Assert.That(toolResult.ToolCallId, Is.EqualTo("call_gin"));
            Assert.That(toolResult.Content, Does.Contain("textsearch-"), "the tool searched the real ingested manual");
        }
    }

    [Test]
    public async Task Should_stream_live_from_another_api_replica_a_run_submitted_to_the_first()
    {
        var release = new TaskCompletionSource();
        var before = model.Requests.Count;
        model.Enqueue(
            FakeChatReply.ToolCall("search_documents", new { query = "vacuum", k = 2 }, "call_vacuum") with { Gate = release.Task },
            FakeChatReply.Text("VACUUM reclaims storage."));
        using var first = system.Client(0);
        using var second = system.Client(1);
        var threadId = await CreateThreadAsync(first);
        var run = await PostJsonAsync(first, $"/threads/{threadId}/runs", RunBody("What does VACUUM do?"));
        var runId = run["run_id"]!.GetValue<string>();
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            // The worker is now inside the model call, which waits for the gate.
            await model.WaitForRequestsAsync(before + 1, deadline.Token);
        }

        var join = new HttpRequestMessage(HttpMethod.Get, $"/threads/{threadId}/runs/{runId}/stream?stream_mode=updates");
        join.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await second.SendAsync(join, HttpCompletionOption.ResponseHeadersRead);
        var frames = new List<SseFrame>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var frame in SseStream.ReadAsync(response, timeout.Token))
        {
            frames.Add(frame);
            if (frame.Event == "metadata")
            {
                release.SetResult();
            }
        }

        var afterMetadata = frames.SkipWhile(f => f.Event != "metadata").Skip(1).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(afterMetadata.Where(f => f.Event == "updates").Select(f => JsonNode.Parse(f.Data)!.AsObject().Single().Key),
                Is.EqualTo(new[] { "agent", "tools", "agent" }));
            Assert.That(afterMetadata.Where(f => f.Event == "updates").Select(f => f.Id), Is.EqualTo(new[] { "2", "3", "4" }));
            // Relayed live by the bus fan-out: the first step arrives before the relay's 5 s fallback (a heartbeat
            // followed by a re-read of the log) would have fetched it.
            Assert.That(afterMetadata[0].Event, Is.EqualTo("updates"), "the first step came through the fan-out, not the fallback");
        }
    }
}
