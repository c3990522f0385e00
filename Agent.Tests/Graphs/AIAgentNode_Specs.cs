using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Tests.Fakes;
using Agent.Worker.Graphs;
using Microsoft.Agents.AI;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Graphs;

[TestFixture]
[Category("Integration")]
public sealed class When_a_graph_node_wraps_a_Microsoft_Agent_Framework_agent
{
    private const string GraphId = "billing";
    private GraphWorkerHost worker = null!;
    private ScriptedChatClient agentModel = null!;
    private int toolCalls;

    [SetUp]
    public async Task StartWorkerAsync()
    {
        // The team's agent, written with Agent Framework as it would be anywhere: its own model client, instructions
        // and tool. The worker's own model (the offline one) is not involved.
        agentModel = new ScriptedChatClient(
            ScriptedChatClient.ToolCall("call-1", "invoice_total", new Dictionary<string, object?> { ["customer"] = "acme" }),
            ScriptedChatClient.Answer("Acme owes 42.5 EUR."));
        var invoiceTotal = AIFunctionFactory.Create((string customer) => { Interlocked.Increment(ref toolCalls); return customer == "acme" ? 42.5 : 0; }, "invoice_total");
        var agent = new ChatClientAgent(agentModel, instructions: "You are the billing agent.", name: "billing-agent", tools: [invoiceTotal]);
        worker = await GraphWorkerHost.StartAsync(
            new ScriptedChatClient((_, _, _) => ScriptedChatClient.Answer("not used")),
            services => services.AddAgentGraph(GraphId, graph =>
            {
                graph.AddAIAgentNode("billing", _ => agent);
                graph.AddEdge(AgentGraph.Start, "billing");
            }));
    }

    [TearDown]
    public async Task StopWorkerAsync()
    {
        await worker.DisposeAsync();
        agentModel.Dispose();
    }

    [Test]
    public async Task Should_run_the_agent_with_its_own_tools_as_one_durable_step_with_a_usage_row()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId);

        var run = await worker.StartRunAsync(assistant, new JsonObject
        {
            // LangChain form, as the API stores a run's input.
            ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = "How much does acme owe?", ["id"] = Guid.NewGuid().ToString() }),
        });
        var ended = await worker.WaitForEndAsync(run.RunId);
        var steps = await worker.CheckpointsAsync(run.RunId);
        await using var context = worker.Database.CreateContext();
        var usage = await context.ModelCalls.AsNoTracking().SingleAsync(m => m.RunId == run.RunId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(steps.Select(s => s.Node), Is.EqualTo(new[] { "__input__", AgentGraph.Start, "billing" }));
            var answer = steps[2].Delta["messages"]!.AsArray().Single()!;
            Assert.That(answer["type"]!.GetValue<string>(), Is.EqualTo("ai"));
            Assert.That(answer["content"]!.GetValue<string>(), Is.EqualTo("Acme owes 42.5 EUR."));
            Assert.That(answer["id"]!.GetValue<string>(), Is.EqualTo($"run-{run.RunId:N}-1"));
            Assert.That(answer["tool_calls"]?.AsArray() ?? [], Is.Empty, "the agent's own tool round stays inside the step");
            Assert.That(toolCalls, Is.EqualTo(1), "the agent ran its tool itself, once");
            Assert.That(agentModel.Calls, Has.Count.EqualTo(2));
            Assert.That(agentModel.Calls[0].Messages.Select(m => m.Text), Has.Member("How much does acme owe?"), "the thread's messages reach the agent");
            Assert.That(agentModel.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single().Result?.ToString(), Is.EqualTo("42.5"));
            Assert.That(usage.Provider, Is.EqualTo(AgentNodeContext.AgentFrameworkProvider));
            Assert.That(usage.Step, Is.EqualTo(1));
            Assert.That((usage.InputTokens, usage.OutputTokens), Is.EqualTo((30L, 12L)), "both of the agent's model calls are counted");
        }
    }
}
