using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Tests.Fakes;
using Agent.Worker.Graphs;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Agent;

[TestFixture]
public sealed class When_the_agent_loop_runs_with_a_scripted_model
{
    private static readonly Guid RunId = Guid.Parse("0193a0a0-0000-7000-8000-000000000001");

    [Test]
    public async Task Should_call_the_tool_then_answer_and_stop()
    {
        var model = new ScriptedChatClient(
            ScriptedChatClient.ToolCall("call_1", "search_documents", new() { ["query"] = "gin index" }),
            ScriptedChatClient.Answer("Use CREATE INDEX ... USING GIN."));
        var tool = new EchoTool();
        var agent = new RetrievalAgent(model, [tool], TimeProvider.System);
        var messages = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = "How do I make a GIN index?", ["id"] = "h1" });

        var visited = new List<string>();
        for (var step = 1; RetrievalAgent.NextNode(messages) is var node && node != AgentNode.End; step++)
        {
            visited.Add(node);
            JsonArray delta = node == AgentNode.Agent
                ? [(await agent.CallModelAsync(
                    messages, $"ai-{step}", model: null, systemPrompt: null, allowedTools: null, onUpdate: null, CancellationToken.None)).Message]
                : (await agent.RunToolsAsync((JsonObject)messages[^1]!, RunId, step, allowedTools: null, CancellationToken.None)).Messages;
            CheckpointFold.Apply(messages, delta);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(visited, Is.EqualTo(new[] { "agent", "tools", "agent" }));
            Assert.That(messages.Select(m => m!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "human", "ai", "tool", "ai" }));
            Assert.That(messages[1]!["tool_calls"]![0]!["name"]!.GetValue<string>(), Is.EqualTo("search_documents"));
            Assert.That(messages[2]!["tool_call_id"]!.GetValue<string>(), Is.EqualTo("call_1"));
            Assert.That(messages[2]!["content"]!.GetValue<string>(), Does.Contain("gin index"));
            Assert.That(messages[3]!["content"]!.GetValue<string>(), Is.EqualTo("Use CREATE INDEX ... USING GIN."));
            Assert.That(messages[3]!["usage_metadata"]!["output_tokens"]!.GetValue<long>(), Is.EqualTo(7));
            Assert.That(tool.Invocations.Single().IdempotencyKey, Is.EqualTo($"{RunId}:2:call_1"));
        }
    }

    [Test]
    public async Task Should_send_the_tool_result_and_the_tools_to_the_model()
    {
        var model = new ScriptedChatClient(
            ScriptedChatClient.ToolCall("call_1", "search_documents", new() { ["query"] = "vacuum" }),
            ScriptedChatClient.Answer("done"));
        var agent = new RetrievalAgent(model, [new EchoTool()], TimeProvider.System);
        var messages = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = "vacuum?", ["id"] = "h1" });

        CheckpointFold.Apply(messages, new JsonArray((await agent.CallModelAsync(messages, "ai-1", "m", null, null, null, CancellationToken.None)).Message));
        CheckpointFold.Apply(messages, (await agent.RunToolsAsync((JsonObject)messages[^1]!, RunId, 2, null, CancellationToken.None)).Messages);
        await agent.CallModelAsync(messages, "ai-3", "m", "be brief", null, null, CancellationToken.None);

        var second = model.Calls[1];
        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.Options!.ModelId, Is.EqualTo("m"));
            Assert.That(second.Options.Tools!.Select(t => t.Name), Is.EqualTo(new[] { "search_documents" }));
            Assert.That(second.Messages[0].Role, Is.EqualTo(ChatRole.System));
            Assert.That(second.Messages[0].Text, Is.EqualTo("be brief"));
            var result = second.Messages[^1].Contents.OfType<FunctionResultContent>().Single();
            Assert.That(result.CallId, Is.EqualTo("call_1"));
            Assert.That(result.Result?.ToString(), Does.Contain("vacuum"));
            Assert.That(second.Messages[^2].Contents.OfType<FunctionCallContent>().Single().Name, Is.EqualTo("search_documents"));
        }
    }

    [Test]
    public async Task Should_report_an_unknown_tool_to_the_model_instead_of_failing()
    {
        var agent = new RetrievalAgent(new ScriptedChatClient(), [new EchoTool()], TimeProvider.System);
        var ai = new JsonObject
        {
            ["type"] = "ai",
            ["id"] = "ai-1",
            ["content"] = string.Empty,
            ["tool_calls"] = new JsonArray(new JsonObject { ["name"] = "drop_database", ["args"] = new JsonObject(), ["id"] = "c9" }),
        };

        var (results, calls) = await agent.RunToolsAsync(ai, RunId, 2, null, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results[0]!["status"]!.GetValue<string>(), Is.EqualTo("error"));
            Assert.That(results[0]!["content"]!.GetValue<string>(), Does.Contain("no tool named 'drop_database'"));
            Assert.That(calls[0]!["error"]!.GetValue<bool>(), Is.True);
        }
    }
}
