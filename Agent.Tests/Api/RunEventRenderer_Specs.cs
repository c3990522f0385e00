using System.Text.Json.Nodes;
using Agent.Api.Streaming;
using Agent.Contracts.Runs;
using Agent.Persistence.RunEvents;

namespace Agent.Tests.Api;

[TestFixture]
public sealed class When_run_events_are_rendered_for_stream_modes
{
    private static readonly Guid RunId = Guid.NewGuid();
    private static readonly Guid ThreadId = Guid.NewGuid();

    private static string Step(int step, string node, params string[] contents) => new JsonObject
    {
        ["step"] = step,
        ["node"] = node,
        ["messages"] = new JsonArray(contents.Select((c, i) => (JsonNode)new JsonObject
        {
            ["type"] = node == "__start__" ? "human" : "ai", ["content"] = c, ["id"] = $"m{step}-{i}",
        }).ToArray()),
        ["model_call"] = node == "agent" ? new JsonObject { ["input_tokens"] = 3, ["output_tokens"] = 4 } : null,
    }.ToJsonString();

    [Test]
    public async Task Should_fold_values_on_top_of_the_threads_earlier_messages()
    {
        var prior = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = "earlier", ["id"] = "p1" });
        var renderer = new RunEventRenderer([StreamMode.Values], RunId, ThreadId, _ => Task.FromResult(new JsonObject { ["messages"] = prior, ["topic"] = "vacuum" }));

        await renderer.RenderAsync(1, RunEventKinds.Step, Step(0, "__start__", "question"), DateTimeOffset.UnixEpoch, CancellationToken.None);
        var second = await renderer.RenderAsync(2, RunEventKinds.Step, Step(1, "agent", "answer"), DateTimeOffset.UnixEpoch, CancellationToken.None);

        var state = JsonNode.Parse(second.Events.Single().Data)!;
        var values = state["messages"]!.AsArray();
        Assert.That(values.Select(m => m!["content"]!.GetValue<string>()), Is.EqualTo(new[] { "earlier", "question", "answer" }));
        Assert.That(state["topic"]?.GetValue<string>(), Is.EqualTo("vacuum"), "the graph's other channels are part of the values");
    }

    [Test]
    public async Task Should_emit_updates_per_node_and_skip_the_input()
    {
        var renderer = new RunEventRenderer([StreamMode.Updates], RunId, ThreadId, _ => Task.FromResult(new JsonObject { ["messages"] = new JsonArray() }));

        var input = await renderer.RenderAsync(1, RunEventKinds.Step, Step(0, "__start__", "q"), DateTimeOffset.UnixEpoch, CancellationToken.None);
        var agent = await renderer.RenderAsync(2, RunEventKinds.Step, Step(1, "agent", "a"), DateTimeOffset.UnixEpoch, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(input.Events, Is.Empty);
            Assert.That(agent.Events.Single().Event, Is.EqualTo("updates"));
            Assert.That(JsonNode.Parse(agent.Events.Single().Data)!["agent"]!["messages"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("a"));
        }
    }

    [Test]
    public async Task Should_emit_message_tuples_with_metadata_and_custom_usage()
    {
        var renderer = new RunEventRenderer([StreamMode.MessagesTuple, StreamMode.Custom], RunId, ThreadId, _ => Task.FromResult(new JsonObject { ["messages"] = new JsonArray() }));

        var events = await renderer.RenderAsync(2, RunEventKinds.Step, Step(1, "agent", "a"), DateTimeOffset.UnixEpoch, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(events.Events.Select(e => e.Event), Is.EqualTo(new[] { "messages", "custom" }));
            var tuple = JsonNode.Parse(events.Events[0].Data)!.AsArray();
            Assert.That(tuple[0]!["id"]!.GetValue<string>(), Is.EqualTo("m1-0"));
            Assert.That(tuple[1]!["langgraph_node"]!.GetValue<string>(), Is.EqualTo("agent"));
            Assert.That(tuple[1]!["run_id"]!.GetValue<string>(), Is.EqualTo(RunId.ToString()));
            Assert.That(JsonNode.Parse(events.Events[1].Data)!["output_tokens"]!.GetValue<int>(), Is.EqualTo(4));
        }
    }

    [Test]
    public async Task Should_turn_a_failed_status_into_an_error_event_and_a_success_into_nothing()
    {
        var renderer = new RunEventRenderer([StreamMode.Values], RunId, ThreadId, _ => Task.FromResult(new JsonObject { ["messages"] = new JsonArray() }));

        var failed = await renderer.RenderAsync(
            9,
            RunEventKinds.Status, """{"status":"error","error":{"error":"Boom","message":"it broke"}}""", DateTimeOffset.UnixEpoch, CancellationToken.None);
        var succeeded = await renderer.RenderAsync(9, RunEventKinds.Status, """{"status":"success"}""", DateTimeOffset.UnixEpoch, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(failed.Events.Single().Event, Is.EqualTo("error"));
            Assert.That(failed.Events.Single().Data, Is.EqualTo("""{"error":"Boom","message":"it broke"}"""));
            Assert.That(succeeded.Events, Is.Empty);
        }
    }

    private static AgentRunTokenStreamed Token(int offset, string text) => new()
    {
        RunId = RunId,
        ThreadId = ThreadId,
        AfterSequence = 3,
        Step = 1,
        Node = "agent",
        MessageId = "m1-0",
        Offset = offset,
        Text = text,
        CreatedAt = DateTimeOffset.UnixEpoch,
    };

    [Test]
    public async Task Should_stream_tokens_as_chunks_and_send_only_what_a_lost_delta_left_out_when_the_step_commits()
    {
        var renderer = new RunEventRenderer([StreamMode.MessagesTuple], RunId, ThreadId, _ => Task.FromResult(new JsonObject { ["messages"] = new JsonArray() }));

        var first = renderer.RenderToken(Token(0, "Use "));
        var gap = renderer.RenderToken(Token(9, "INDEX"));
        var commit = await renderer.RenderAsync(2, RunEventKinds.Step, Step(1, "agent", "Use CREATE INDEX"), DateTimeOffset.UnixEpoch, CancellationToken.None);

        var chunks = first.Select(e => e.Data).Concat(commit.Events.Select(e => e.Data)).Select(e => JsonNode.Parse(e)![0]!).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Single().Id, Is.EqualTo("3.4.0"), "the id says how much of the message the client has");
            Assert.That(gap, Is.Empty, "after a lost delta the relay stops sending tokens of that message");
            Assert.That(chunks.Select(c => c["type"]!.GetValue<string>()), Is.EqualTo(new[] { "AIMessageChunk", "AIMessageChunk" }));
            Assert.That(string.Concat(chunks.Select(c => c["content"]!.GetValue<string>())), Is.EqualTo("Use CREATE INDEX"));
        }
    }

    [Test]
    public async Task Should_send_only_the_rest_of_a_message_to_a_client_that_resumes_inside_it()
    {
        var renderer = new RunEventRenderer([StreamMode.MessagesTuple], RunId, ThreadId, _ => Task.FromResult(new JsonObject { ["messages"] = new JsonArray() }));
        renderer.ResumeAfter(sequence: 1, characters: 4, toolCalls: 0);

        var commit = await renderer.RenderAsync(2, RunEventKinds.Step, Step(1, "agent", "Use CREATE INDEX"), DateTimeOffset.UnixEpoch, CancellationToken.None);

        Assert.That(JsonNode.Parse(commit.Events.Single().Data)![0]!["content"]!.GetValue<string>(), Is.EqualTo("CREATE INDEX"));
    }
}
