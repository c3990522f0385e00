using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Tests.Fakes;
using Agent.Worker.Graphs;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Graphs;

[TestFixture]
[Category("Integration")]
public sealed class When_a_deployer_declares_a_graph_with_a_conditional_edge_and_channels
{
    private const string GraphId = "triage";
    // The run's input checkpoint, written before __start__ as LangGraph's source "input".
    private const string InputCheckpoint = "__input__";
    private GraphWorkerHost worker = null!;
    private ScriptedChatClient model = null!;

    [SetUp]
    public async Task StartWorkerAsync()
    {
        model = new ScriptedChatClient((_, _, _) => ScriptedChatClient.Answer("Hello to you too."));
        worker = await GraphWorkerHost.StartAsync(model, services => services.AddAgentGraph(GraphId, Declare));
    }

    [TearDown]
    public async Task StopWorkerAsync()
    {
        await worker.DisposeAsync();
        model.Dispose();
    }

    [Test]
    public async Task Should_route_on_a_last_value_channel_and_keep_the_channels_in_the_checkpoints()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId);

        var first = await worker.StartRunAsync(assistant, Input("what is 2+2?"));
        var ended = await worker.WaitForEndAsync(first.RunId);
        var steps = await worker.CheckpointsAsync(first.RunId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(steps.Select(s => s.Node), Is.EqualTo(new[] { InputCheckpoint, AgentGraph.Start, "classify", "calculator" }));
            Assert.That(steps[2].Delta["route"]?.GetValue<string>(), Is.EqualTo("math"));
            Assert.That(steps[3].Delta["visits"]?.GetValue<int>(), Is.EqualTo(1));
            Assert.That(steps[3].Delta["messages"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("calculated (visit 1)"));
            Assert.That(model.Calls, Is.Empty, "the math branch makes no model call");
        }

        // A second run on the thread starts from the folded channels: route is still "math", so __start__ skips
        // classify, and the summing reducer adds to the stored visits.
        var second = await worker.StartRunAsync(assistant, Input("and 3+3?"), first.ThreadId);
        var secondEnded = await worker.WaitForEndAsync(second.RunId);
        var secondSteps = await worker.CheckpointsAsync(second.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(secondEnded.Status, Is.EqualTo(AgentRunStatus.Success), secondEnded.Error);
            Assert.That(secondSteps.Select(s => s.Node), Is.EqualTo(new[] { InputCheckpoint, AgentGraph.Start, "calculator" }));
            Assert.That(secondSteps[^1].Delta["visits"]?.GetValue<int>(), Is.EqualTo(2));
        }
    }

    [Test]
    public async Task Should_take_the_other_branch_with_a_streamed_model_call_and_its_usage_row()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId);

        var run = await worker.StartRunAsync(assistant, Input("hello there"));
        var ended = await worker.WaitForEndAsync(run.RunId);
        var steps = await worker.CheckpointsAsync(run.RunId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(steps.Select(s => s.Node), Is.EqualTo(new[] { InputCheckpoint, AgentGraph.Start, "classify", "chat" }));
            Assert.That(steps[2].Delta["route"]?.GetValue<string>(), Is.EqualTo("chat"));
            Assert.That(steps[3].Delta["messages"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("Hello to you too."));
            Assert.That(model.Calls, Has.Count.EqualTo(1));
            Assert.That(model.Calls[0].Messages[0].Role, Is.EqualTo(ChatRole.System));
            Assert.That(model.Calls[0].Messages[0].Text, Is.EqualTo("Be friendly."));
            Assert.That(await worker.ModelCallsAsync(run.RunId), Is.EqualTo(1));
            Assert.That(ended.InputTokens, Is.EqualTo(20));
        }
    }

    [Test]
    public async Task Should_end_a_run_of_a_graph_the_worker_does_not_have_with_an_error_naming_the_graphs_it_has()
    {
        var assistant = await worker.CreateAssistantAsync("nowhere");

        var run = await worker.StartRunAsync(assistant, Input("hi"));
        var ended = await worker.WaitForEndAsync(run.RunId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Error));
            Assert.That(ended.Error, Does.Contain("UnknownGraph").And.Contain("'nowhere'").And.Contain(GraphId));
        }
    }

    // START -> (route set? calculator : classify); classify -> (route == math ? calculator : chat); both -> END.
    private static void Declare(AgentGraphBuilder graph)
    {
        graph.AddChannel("route");
        graph.AddChannel("visits", (current, write) => (current?.GetValue<int>() ?? 0) + (write?.GetValue<int>() ?? 0));
        graph.AddNode("classify", (state, _) =>
        {
            var question = state.Messages[^1]!["content"]!.GetValue<string>();
            return Task.FromResult(new AgentStateUpdate().Set("route", question.Any(char.IsDigit) ? "math" : "chat"));
        });
        graph.AddNode("calculator", (state, _) =>
        {
            var visit = state.Get<int>("visits") + 1;
            return Task.FromResult(AgentStateUpdate.WithMessages(new JsonObject { ["type"] = "ai", ["content"] = $"calculated (visit {visit})" })
                .Set("visits", 1));
        });
        graph.AddNode("chat", async (_, context) =>
            AgentStateUpdate.WithMessages(await context.CallModelAsync(new AgentModelRequest { SystemPrompt = "Be friendly." })));
        graph.AddConditionalEdges(AgentGraph.Start, state => state.Get<string>("route") is null ? "classify" : "calculator");
        graph.AddConditionalEdges("classify", state => state.Get<string>("route") == "math" ? "calculator" : "chat", ["calculator", "chat"]);
        graph.AddEdge("calculator", AgentGraph.End);
        graph.AddEdge("chat", AgentGraph.End);
    }

    private static JsonObject Input(string question) => new()
    {
        ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = question, ["id"] = Guid.NewGuid().ToString() }),
    };
}
