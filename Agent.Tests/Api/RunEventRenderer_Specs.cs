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
    // A step payload as StepCommitBuilder writes it; a subgraph's step carries its checkpoint_ns.
    private static string Step(string ns, int step, string node, string type, string id, string content)
    {
        var payload = new JsonObject
        {
            ["step"] = step,
            ["node"] = node,
            ["messages"] = new JsonArray(new JsonObject { ["type"] = type, ["content"] = content, ["id"] = id }),
        };
        if (ns.Length > 0)
        {
            payload["checkpoint_ns"] = ns;
        }

        return payload.ToJsonString();
    }

    private static async Task<List<(string Event, JsonNode Data)>> RenderSubgraphRunAsync(bool subgraphs)
    {
        const string Ns = "research:6a1f9c1e-0000-5000-8000-000000000001";
        var renderer = new RunEventRenderer([StreamMode.Updates, StreamMode.Values, StreamMode.MessagesTuple], RunId, ThreadId,
            _ => Task.FromResult(new JsonObject { ["messages"] = new JsonArray() }))
        { Subgraphs = subgraphs };
        string[] steps =
        [
            Step(string.Empty, 0, "__start__", "human", "q", "question"),
            Step(Ns, 0, "__start__", "human", "q", "question"), // a subgraph's input: its whole state
            Step(Ns, 1, "summarize", "ai", "n", "notes"),
            Step(string.Empty, 1, "research", "ai", "n", "notes"), // what the subgraph changed, as the parent's update
        ];
        var events = new List<(string, JsonNode)>();
        for (var i = 0; i < steps.Length; i++)
        {
            var rendered = await renderer.RenderAsync(i + 1, RunEventKinds.Step, steps[i], DateTimeOffset.UnixEpoch, CancellationToken.None);
            events.AddRange(rendered.Events.Select(e => (e.Event, JsonNode.Parse(e.Data)!)));
        }

        return events;
    }

    [Test]
    public async Task Should_name_a_subgraphs_events_mode_bar_namespace_with_its_own_state_when_subgraphs_are_streamed()
    {
        const string Ns = "research:6a1f9c1e-0000-5000-8000-000000000001";

        var events = await RenderSubgraphRunAsync(subgraphs: true);

        var names = events.Select(e => e.Event).ToList();
        var subValues = events.Where(e => e.Event == "values|" + Ns).Select(e => e.Data["messages"]!.AsArray().Count).ToList();
        var tuple = events.Single(e => e.Event == "messages|" + Ns).Data.AsArray();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(names, Is.EqualTo(new[]
            {
                "values", "values|" + Ns, "updates|" + Ns, "values|" + Ns, "messages|" + Ns, "updates", "values",
            }), "the parent's update does not stream the subgraph's message again");
            Assert.That(events.Single(e => e.Event == "updates|" + Ns).Data["summarize"]!["messages"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("notes"));
            Assert.That(subValues, Is.EqualTo(new[] { 1, 2 }), "the subgraph's values are its own state: its input, then its notes");
            Assert.That(tuple[1]!["langgraph_checkpoint_ns"]!.GetValue<string>(), Is.EqualTo(Ns));
            Assert.That(tuple[1]!["langgraph_node"]!.GetValue<string>(), Is.EqualTo("summarize"));
            Assert.That(events.Last().Data["messages"]!.AsArray().Select(m => m!["content"]!.GetValue<string>()), Is.EqualTo(new[] { "question", "notes" }),
                "the parent's values are the parent's state");
        }
    }

    [Test]
    public async Task Should_hide_a_subgraphs_steps_unless_subgraphs_are_streamed()
    {
        var events = await RenderSubgraphRunAsync(subgraphs: false);

        Assert.That(events.Select(e => e.Event), Is.EqualTo(new[] { "values", "updates", "values", "messages" }));
    }
}
