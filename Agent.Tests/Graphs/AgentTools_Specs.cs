using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Tests.Fakes;
using Agent.Worker.Graphs;
using Agent.Worker.Tools;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Graphs;

[TestFixture]
[Category("Integration")]
public sealed class When_a_model_calls_AIFunction_tools_that_fail
{
    private const string GraphId = "tooling";
    private readonly ConcurrentQueue<string?> keys = new();
    private GraphWorkerHost worker = null!;
    private ScriptedChatClient model = null!;

    [SetUp]
    public async Task StartWorkerAsync()
    {
        var firstTurn = new ChatResponse(new ChatMessage(ChatRole.Assistant,
        [
            new FunctionCallContent("call_throw", "explode", new Dictionary<string, object?>()),
            new FunctionCallContent("call_bad", "add", new Dictionary<string, object?> { ["a"] = "not a number", ["b"] = 2 }),
            new FunctionCallContent("call_good", "add", new Dictionary<string, object?> { ["a"] = 2, ["b"] = 3 }),
        ]))
        {
            ModelId = "scripted-model",
            FinishReason = ChatFinishReason.ToolCalls,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
        };
        model = new ScriptedChatClient(firstTurn, ScriptedChatClient.Answer("2 + 3 = 5; the other tools failed."));
        worker = await GraphWorkerHost.StartAsync(model, services =>
        {
            services.AddAgentTool(AIFunctionFactory.Create(Explode, "explode"));
            services.AddAgentTool(AIFunctionFactory.Create(Add, "add"));
            services.AddAgentGraph(GraphId, graph =>
            {
                graph.AddNode("model", async (_, context) => AgentStateUpdate.WithMessages(await context.CallModelAsync()));
                graph.AddToolNode();
                graph.AddEdge(AgentGraph.Start, "model");
                graph.AddConditionalEdges("model", AgentGraph.ToolsCondition, [AgentGraph.Tools, AgentGraph.End]);
                graph.AddEdge(AgentGraph.Tools, "model");
            });
        });
    }

    [TearDown]
    public async Task StopWorkerAsync()
    {
        await worker.DisposeAsync();
        model.Dispose();
    }

    [Test]
    public async Task Should_give_the_model_a_tool_error_for_each_and_let_the_run_go_on()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId);

        var run = await worker.StartRunAsync(assistant, new JsonObject
        {
            ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = "add 2 and 3", ["id"] = "h1" }),
        });
        var ended = await worker.WaitForEndAsync(run.RunId);
        var steps = await worker.CheckpointsAsync(run.RunId);
        var toolMessages = steps.Single(s => s.Node == AgentGraph.Tools).Delta["messages"]!.AsArray()
            .ToDictionary(m => m!["tool_call_id"]!.GetValue<string>(), m => m!.AsObject());
        var secondCall = model.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>()
            .ToDictionary(r => r.CallId, r => r.Result?.ToString());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(steps.Select(s => s.Node), Is.EqualTo(new[] { "__input__", AgentGraph.Start, "model", AgentGraph.Tools, "model" }));
            Assert.That(toolMessages["call_throw"]["status"]!.GetValue<string>(), Is.EqualTo("error"));
            Assert.That(toolMessages["call_throw"]["content"]!.GetValue<string>(), Does.StartWith("Error:").And.Contain("the fuse blew"));
            Assert.That(toolMessages["call_bad"]["status"]!.GetValue<string>(), Is.EqualTo("error"));
            Assert.That(toolMessages["call_bad"]["content"]!.GetValue<string>(), Does.Contain("'a' must be an integer"));
            Assert.That(toolMessages["call_good"]["status"]!.GetValue<string>(), Is.EqualTo("success"));
            Assert.That(toolMessages["call_good"]["content"]!.GetValue<string>(), Is.EqualTo("5"));
            Assert.That(secondCall["call_throw"], Does.Contain("the fuse blew"), "the model reads the failure");
            Assert.That(secondCall["call_bad"], Does.Contain("'a' must be an integer"));
            Assert.That(model.Calls[0].Options!.Tools!.Select(t => t.Name), Does.Contain("explode").And.Contain("add"));
            // The tools step is step 2 (0 is the input, 1 the first model call).
            Assert.That(keys, Is.EquivalentTo(new[] { $"{run.RunId}:2:call_throw", $"{run.RunId}:2:call_good" }));
        }
    }

    [System.ComponentModel.Description("Always throws.")]
    private string Explode()
    {
        keys.Enqueue(AgentToolContext.Current?.IdempotencyKey);
        throw new InvalidOperationException("the fuse blew");
    }

    [System.ComponentModel.Description("Adds two integers.")]
    private int Add(int a, int b, AIFunctionArguments arguments)
    {
        keys.Enqueue(arguments.Context?[AgentToolContext.IdempotencyKeyName] as string);
        return a + b;
    }
}
