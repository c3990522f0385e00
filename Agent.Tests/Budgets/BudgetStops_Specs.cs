using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Tests.Fakes;
using Agent.Tests.Runs;

namespace Agent.Tests.Budgets;

[TestFixture]
[Category("Integration")]
public sealed class When_a_run_reaches_a_limit_of_its_budget
{
    private RunHarness harness = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => harness = await RunHarness.CreateAsync();

    [OneTimeTearDown]
    public async Task DropDatabaseAsync() => await harness.DisposeAsync();

    private static JsonObject Configurable(JsonObject configurable) => new() { ["configurable"] = configurable };

    [Test]
    public async Task Should_end_the_run_with_the_output_token_limit_as_reason_and_run_no_further_step()
    {
        var run = await harness.InsertRunAsync("gin?", config: Configurable(new() { ["budget"] = new JsonObject { ["max_output_tokens"] = 5 } }));
        var tool = new EchoTool();
        var model = new ScriptedChatClient(
            ScriptedChatClient.ToolCall("call_1", "search_documents", new() { ["query"] = "gin" }),
            ScriptedChatClient.Answer("never asked"));

        await RunHarness.ExecuteAsync(await harness.StartWorkerAsync(model, tool), run);

        var (stored, error) = await LoadAsync(run);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Error));
            Assert.That(error?["error"]?.GetValue<string>(), Is.EqualTo("BudgetExceeded"));
            Assert.That(error?["limit"]?.GetValue<string>(), Is.EqualTo("max_output_tokens"));
            Assert.That(stored.OutputTokens, Is.EqualTo(5), "the call that reached the limit is still counted");
            Assert.That(tool.Invocations, Is.Empty, "no step runs after the limit is reached");
            Assert.That(model.Calls, Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_refuse_a_model_call_projected_past_the_input_token_limit()
    {
        var question = string.Concat(Enumerable.Repeat("How do I create an index? ", 40));
        var run = await harness.InsertRunAsync(question, config: Configurable(new() { ["budget"] = new JsonObject { ["max_input_tokens"] = 50 } }));
        var model = new ScriptedChatClient(ScriptedChatClient.Answer("never asked"));

        await RunHarness.ExecuteAsync(await harness.StartWorkerAsync(model, new EchoTool()), run);

        var (stored, error) = await LoadAsync(run);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error?["limit"]?.GetValue<string>(), Is.EqualTo("max_input_tokens"));
            Assert.That(model.Calls, Is.Empty, "the projection stops the call before it is made");
            Assert.That(stored.InputTokens, Is.Zero);
        }
    }

    [Test]
    public async Task Should_stop_a_loop_of_identical_tool_calls_before_running_it_again()
    {
        var run = await harness.InsertRunAsync("loop", config: Configurable(new() { ["budget"] = new JsonObject { ["max_identical_tool_calls"] = 2 } }));
        var tool = new EchoTool();
        var model = new ScriptedChatClient((_, _, call) =>
            ScriptedChatClient.ToolCall($"call_{call}", "search_documents", new() { ["query"] = "the same" }));

        await RunHarness.ExecuteAsync(await harness.StartWorkerAsync(model, tool), run);

        var (stored, error) = await LoadAsync(run);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Error));
            Assert.That(error?["error"]?.GetValue<string>(), Is.EqualTo("ToolLoopDetected"));
            Assert.That(tool.Invocations, Has.Count.EqualTo(2), "the third identical call is not run");
        }
    }

    [Test]
    public async Task Should_end_with_the_cost_limit_and_keep_the_partial_answer()
    {
        // scripted-model priced at $1,000 per million tokens in and out: the answer (20 in, 7 out) costs $0.027.
        var prices = new Dictionary<string, string?> { ["ModelPrices:scripted-model:Input"] = "1000", ["ModelPrices:scripted-model:Output"] = "1000" };
        var run = await harness.InsertRunAsync("q", config: Configurable(new() { ["budget"] = new JsonObject { ["max_cost_usd"] = 0.02 } }));
        var model = new ScriptedChatClient(ScriptedChatClient.Answer("Partial: use CREATE INDEX."));

        await RunHarness.ExecuteAsync(await harness.StartWorkerAsync(model, new EchoTool(), settings: prices), run);

        var (stored, error) = await LoadAsync(run);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(error?["limit"]?.GetValue<string>(), Is.EqualTo("max_cost_usd"));
            Assert.That(error?["partial_answer"]?.GetValue<string>(), Is.EqualTo("Partial: use CREATE INDEX."));
            Assert.That(stored.CostUsd, Is.EqualTo(0.027m));
        }
    }

    [Test]
    public async Task Should_end_the_run_timeout_when_its_wall_time_budget_is_shorter_than_the_workers_limit()
    {
        var run = await harness.InsertRunAsync("slow", config: Configurable(new() { ["budget"] = new JsonObject { ["max_wall_time_seconds"] = 0.5 } }));
        // The model never answers by itself: only the run's deadline can end the call.
        var model = new ScriptedChatClient(ScriptedChatClient.Answer("never delivered"))
        {
            BeforeCall = (_, ct) => Task.Delay(Timeout.InfiniteTimeSpan, ct),
        };

        await RunHarness.ExecuteAsync(await harness.StartWorkerAsync(model, new EchoTool(), o => o.RunTimeoutSeconds = 3600), run);

        var (stored, error) = await LoadAsync(run);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Timeout));
            Assert.That(error?["message"]?.GetValue<string>(), Does.Contain("0.5 s"));
        }
    }

    [Test]
    public async Task Should_route_the_tool_selection_step_and_the_answer_step_to_their_models()
    {
        var run = await harness.InsertRunAsync("gin?", config: Configurable(new() { ["model"] = "strong-model", ["tool_selection_model"] = "cheap-model" }));
        var model = new ScriptedChatClient(
            ScriptedChatClient.ToolCall("call_1", "search_documents", new() { ["query"] = "gin" }),
            ScriptedChatClient.Answer("done"));

        await RunHarness.ExecuteAsync(await harness.StartWorkerAsync(model, new EchoTool()), run);

        Assert.That(model.Calls.Select(c => c.Options?.ModelId), Is.EqualTo(new[] { "cheap-model", "strong-model" }));
    }

    private async Task<(AgentRun Run, JsonNode? Error)> LoadAsync(AgentRun run)
    {
        var stored = await harness.LoadRunAsync(run.RunId);
        return (stored, stored.Error is null ? null : JsonNode.Parse(stored.Error));
    }
}
