using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Agent.Tests.Fakes;
using Agent.Tests.Graphs;
using Agent.Worker.Graphs;
using Agent.Worker.Tools;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Interrupts;

[TestFixture]
[Category("Integration")]
public sealed class When_a_graph_pauses_for_a_human
{
    private const string GraphId = "review";
    private GraphWorkerHost worker = null!;
    private ScriptedChatClient model = null!;
    private readonly Dictionary<string, int> executions = new(StringComparer.Ordinal);
    private readonly List<string> transfers = [];

    [SetUp]
    public async Task StartWorkerAsync()
    {
        executions.Clear();
        transfers.Clear();
        // The model asks for a transfer, then answers once the tool has answered.
        model = new ScriptedChatClient((messages, _, _) => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Answer("Done: " + string.Join(",", messages[^1].Contents.OfType<FunctionResultContent>().Select(r => r.Result)))
            : ScriptedChatClient.ToolCall("call-1", "transfer", new Dictionary<string, object?> { ["amount"] = 100 }));
        worker = await GraphWorkerHost.StartAsync(model, services =>
        {
            services.AddAgentTool(AIFunctionFactory.Create((int amount) => { lock (transfers) { transfers.Add($"transfer {amount}"); } return $"sent {amount}"; }, "transfer"));
            services.AddAgentTool(AIFunctionFactory.Create(
                (string item) => $"ordered {item} in {AgentToolContext.Current!.Interrupt(new JsonObject { ["question"] = $"Which size of {item}?" })!.GetValue<string>()}",
                "order"));
            services.AddAgentGraph(GraphId, Declare);
            services.AddAgentGraph("asking", graph =>
            {
                // A node asks for the order tool (as a model would), and the tool itself asks the human.
                graph.AddNode("plan", (_, context) => Task.FromResult(AgentStateUpdate.WithMessages(new JsonObject
                {
                    ["type"] = "ai",
                    ["content"] = string.Empty,
                    ["tool_calls"] = new JsonArray(new JsonObject
                    {
                        ["name"] = "order", ["args"] = new JsonObject { ["item"] = "tea" }, ["id"] = $"order-{context.RunId:N}", ["type"] = "tool_call",
                    }),
                })));
                graph.AddToolNode();
                graph.AddEdge(AgentGraph.Start, "plan");
                graph.AddEdge("plan", AgentGraph.Tools);
                graph.AddEdge(AgentGraph.Tools, AgentGraph.End);
            });
            services.AddAgentGraph("approval", graph =>
            {
                graph.AddNode("agent", async (_, context) => AgentStateUpdate.WithMessages(await context.CallModelAsync()));
                graph.AddToolNode(approve: ["transfer"]);
                graph.AddEdge(AgentGraph.Start, "agent");
                graph.AddConditionalEdges("agent", state => state.LastMessageHasToolCalls ? AgentGraph.Tools : AgentGraph.End, [AgentGraph.Tools, AgentGraph.End]);
                graph.AddEdge(AgentGraph.Tools, "agent");
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
    public async Task Should_pause_on_a_raised_interrupt_and_resume_the_node_with_the_answer_without_rerunning_earlier_nodes()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId);

        var first = await worker.StartRunAsync(assistant, Input("paint my fence"));
        var firstEnded = await worker.WaitForEndAsync(first.RunId);
        var (pausedStatus, pausedHead) = await worker.ThreadAsync(first.ThreadId);
        var pending = PendingInterrupt.Parse(pausedHead!.Interrupts);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(firstEnded.Status, Is.EqualTo(AgentRunStatus.Success), "a graph interrupt ends the run normally (reference 7.3)");
            Assert.That(pausedStatus, Is.EqualTo(AgentThreadStatus.Interrupted));
            Assert.That((await worker.CheckpointsAsync(first.RunId)).Select(s => s.Node), Is.EqualTo(new[] { "__input__", AgentGraph.Start, "prepare" }), "ask is not committed");
            Assert.That(pausedHead.Next, Is.EqualTo(new[] { "ask" }));
            Assert.That(pending, Has.Count.EqualTo(1));
            Assert.That(pending[0].Value!["question"]!.GetValue<string>(), Is.EqualTo("Which colour?"));
            Assert.That(pending[0].Id, Has.Length.EqualTo(32));
        }

        var resumed = await worker.SubmitAsync(assistant, new JsonObject { ["command"] = new JsonObject { ["resume"] = "blue" } }, first.ThreadId);
        var resumedEnded = await worker.WaitForEndAsync(resumed.RunId);
        var steps = await worker.CheckpointsAsync(resumed.RunId);
        var (status, head) = await worker.ThreadAsync(first.ThreadId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(resumedEnded.Status, Is.EqualTo(AgentRunStatus.Success), resumedEnded.Error);
            Assert.That(status, Is.EqualTo(AgentThreadStatus.Idle));
            Assert.That(steps.Select(s => s.Node), Is.EqualTo(new[] { "ask", "paint" }));
            Assert.That(steps[0].Delta["colour"]!.GetValue<string>(), Is.EqualTo("blue"));
            Assert.That(steps[1].Delta["messages"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("Painted blue."));
            Assert.That(executions["prepare"], Is.EqualTo(1), "nothing before the interrupted node runs again");
            Assert.That(executions["ask"], Is.EqualTo(2), "the interrupted node runs again from its start on resume");
            Assert.That(head!.Next, Is.Empty);
            Assert.That(head.Interrupts, Is.Null);
        }
    }

    [Test]
    public async Task Should_pause_before_and_after_named_nodes_and_continue_on_a_run_with_no_input()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId);

        var first = await worker.SubmitAsync(assistant, new JsonObject { ["input"] = Input("paint my fence"), ["interrupt_before"] = new JsonArray("prepare") });
        await worker.WaitForEndAsync(first.RunId);
        var (status, head) = await worker.ThreadAsync(first.ThreadId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(AgentThreadStatus.Interrupted));
            Assert.That(executions.GetValueOrDefault("prepare"), Is.Zero);
            Assert.That(head!.Next, Is.EqualTo(new[] { "prepare" }));
            Assert.That(PendingInterrupt.Parse(head.Interrupts).Single().When, Is.EqualTo(PendingInterrupt.Before));
        }

        // Continue with no input, and pause again after prepare.
        var second = await worker.SubmitAsync(assistant, new JsonObject { ["input"] = null, ["interrupt_after"] = new JsonArray("prepare") }, first.ThreadId);
        await worker.WaitForEndAsync(second.RunId);
        var (afterStatus, afterHead) = await worker.ThreadAsync(first.ThreadId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That((await worker.CheckpointsAsync(second.RunId)).Select(s => s.Node), Is.EqualTo(new[] { "prepare" }), "the breakpoint it paused before is passed on continue");
            Assert.That(afterStatus, Is.EqualTo(AgentThreadStatus.Interrupted));
            Assert.That(afterHead!.Next, Is.EqualTo(new[] { "ask" }));
            Assert.That(PendingInterrupt.Parse(afterHead.Interrupts).Single().When, Is.EqualTo(PendingInterrupt.After));
        }
    }

    [Test]
    public async Task Should_hold_a_tool_call_for_approval_and_run_it_with_the_edited_arguments()
    {
        var assistant = await worker.CreateAssistantAsync("approval");

        var first = await worker.StartRunAsync(assistant, Input("pay the invoice"));
        await worker.WaitForEndAsync(first.RunId);
        var (status, head) = await worker.ThreadAsync(first.ThreadId);
        var request = PendingInterrupt.Parse(head!.Interrupts).Single().Value!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(AgentThreadStatus.Interrupted));
            Assert.That(transfers, Is.Empty, "nothing runs before the review");
            Assert.That(request["action_requests"]![0]!["name"]!.GetValue<string>(), Is.EqualTo("transfer"));
            Assert.That(request["action_requests"]![0]!["args"]!["amount"]!.GetValue<int>(), Is.EqualTo(100));
        }

        var decision = new JsonObject { ["decisions"] = new JsonArray(new JsonObject { ["type"] = "edit", ["edited_action"] = new JsonObject { ["name"] = "transfer", ["args"] = new JsonObject { ["amount"] = 40 } } }) };
        var resumed = await worker.SubmitAsync(assistant, new JsonObject { ["command"] = new JsonObject { ["resume"] = decision } }, first.ThreadId);
        var ended = await worker.WaitForEndAsync(resumed.RunId);
        var steps = await worker.CheckpointsAsync(resumed.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(transfers, Is.EqualTo(new[] { "transfer 40" }), "the tool ran once, with the reviewer's arguments");
            Assert.That(steps.Select(s => s.Node), Is.EqualTo(new[] { AgentGraph.Tools, "agent" }));
            Assert.That(steps[^1].Delta["messages"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("Done: sent 40"));
        }
    }

    [Test]
    public async Task Should_answer_a_rejected_tool_call_with_the_reviewers_message_and_not_run_it()
    {
        var assistant = await worker.CreateAssistantAsync("approval");

        var first = await worker.StartRunAsync(assistant, Input("pay the invoice"));
        await worker.WaitForEndAsync(first.RunId);
        var decision = new JsonObject { ["decisions"] = new JsonArray(new JsonObject { ["type"] = "reject", ["message"] = "Not this month." }) };
        var resumed = await worker.SubmitAsync(assistant, new JsonObject { ["command"] = new JsonObject { ["resume"] = decision } }, first.ThreadId);
        await worker.WaitForEndAsync(resumed.RunId);
        var steps = await worker.CheckpointsAsync(resumed.RunId);
        var answer = steps[0].Delta["messages"]![0]!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(transfers, Is.Empty);
            Assert.That(answer["type"]!.GetValue<string>(), Is.EqualTo("tool"));
            Assert.That(answer["status"]!.GetValue<string>(), Is.EqualTo("error"));
            Assert.That(answer["content"]!.GetValue<string>(), Is.EqualTo("Not this month."));
            Assert.That(answer["tool_call_id"]!.GetValue<string>(), Is.EqualTo("call-1"));
        }
    }

    [Test]
    public async Task Should_give_each_interrupt_of_a_node_its_own_answer_across_two_resumes()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId);
        var first = await worker.StartRunAsync(assistant, Input("paint twice"));
        await worker.WaitForEndAsync(first.RunId);

        var second = await worker.SubmitAsync(assistant, new JsonObject { ["command"] = new JsonObject { ["resume"] = "red" } }, first.ThreadId);
        await worker.WaitForEndAsync(second.RunId);
        var (_, head) = await worker.ThreadAsync(first.ThreadId);
        var pending = PendingInterrupt.Parse(head!.Interrupts);
        var waiting = pending.Single(p => p.IsWaiting);

        // A map of interrupt id to value answers the one still waiting.
        var third = await worker.SubmitAsync(assistant, new JsonObject { ["command"] = new JsonObject { ["resume"] = new JsonObject { [waiting.Id] = "gloss" } } }, first.ThreadId);
        var ended = await worker.WaitForEndAsync(third.RunId);
        var steps = await worker.CheckpointsAsync(third.RunId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(waiting.Value!["question"]!.GetValue<string>(), Is.EqualTo("Which finish?"));
            Assert.That(pending.Single(p => !p.IsWaiting).Resume!.GetValue<string>(), Is.EqualTo("red"), "the first answer is kept for the node's next run");
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(steps[0].Delta["colour"]!.GetValue<string>(), Is.EqualTo("red gloss"));
        }
    }

    [Test]
    public async Task Should_let_a_tool_ask_the_human_and_return_the_answer_as_its_result()
    {
        var assistant = await worker.CreateAssistantAsync("asking");

        var first = await worker.StartRunAsync(assistant, Input("order tea"));
        await worker.WaitForEndAsync(first.RunId);
        var (status, head) = await worker.ThreadAsync(first.ThreadId);
        var asked = PendingInterrupt.Parse(head!.Interrupts).Single();
        var resumed = await worker.SubmitAsync(assistant, new JsonObject { ["command"] = new JsonObject { ["resume"] = "a large cup" } }, first.ThreadId);
        var ended = await worker.WaitForEndAsync(resumed.RunId);
        var steps = await worker.CheckpointsAsync(resumed.RunId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(AgentThreadStatus.Interrupted));
            Assert.That(asked.Node, Is.EqualTo(AgentGraph.Tools));
            Assert.That(asked.Value!["question"]!.GetValue<string>(), Is.EqualTo("Which size of tea?"));
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(steps.Single().Delta["messages"]![0]!["content"]!.GetValue<string>(), Is.EqualTo("ordered tea in a large cup"));
        }
    }

    // START -> prepare -> ask (interrupts: colour, and a finish when asked to paint twice) -> paint -> END.
    private void Declare(AgentGraphBuilder graph)
    {
        graph.AddChannel("colour");
        graph.AddNode("prepare", (_, _) => { Count("prepare"); return Task.FromResult(new AgentStateUpdate()); });
        graph.AddNode("ask", (state, context) =>
        {
            Count("ask");
            var colour = context.Interrupt(new JsonObject { ["question"] = "Which colour?" })!.GetValue<string>();
            if (state.Messages[0]!["content"]!.GetValue<string>().Contains("twice", StringComparison.Ordinal))
            {
                colour += " " + context.Interrupt(new JsonObject { ["question"] = "Which finish?" })!.GetValue<string>();
            }

            return Task.FromResult(new AgentStateUpdate().Set("colour", colour));
        });
        graph.AddNode("paint", (state, _) =>
            Task.FromResult(AgentStateUpdate.WithMessages(new JsonObject { ["type"] = "ai", ["content"] = $"Painted {state.Get<string>("colour")}." })));
        graph.AddEdge(AgentGraph.Start, "prepare");
        graph.AddEdge("prepare", "ask");
        graph.AddEdge("ask", "paint");
        graph.AddEdge("paint", AgentGraph.End);
    }

    private void Count(string node)
    {
        lock (executions)
        {
            executions[node] = executions.GetValueOrDefault(node) + 1;
        }
    }

    private static JsonObject Input(string text) => new()
    {
        ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = text, ["id"] = Guid.NewGuid().ToString() }),
    };
}
