using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Worker.Budgets;
using Agent.Worker.Models;

namespace Agent.Tests.Budgets;

[TestFixture]
public sealed class When_a_run_budget_is_resolved
{
    private static JsonObject Config(string budgetJson) =>
        new() { ["configurable"] = new JsonObject { ["budget"] = JsonNode.Parse(budgetJson) } };

    [Test]
    public void Should_let_a_run_lower_but_not_raise_its_assistants_ceiling()
    {
        var assistant = Config("""{"max_output_tokens": 1000, "max_cost_usd": 0.5}""");

        var (lowered, _) = RunBudget.Resolve(assistant, Config("""{"max_output_tokens": 200}"""));
        var (_, raised) = RunBudget.Resolve(assistant, Config("""{"max_cost_usd": 2}"""));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(lowered, Is.EqualTo(new RunBudget(MaxOutputTokens: 200, MaxCostUsd: 0.5m)));
            Assert.That(raised, Does.Contain("max_cost_usd").And.Contain("ceiling"));
        }
    }

    [TestCase("""{"max_input_tokens": -1}""", "positive integer")]
    [TestCase("""{"max_input_tokens": 1.5}""", "positive integer")]
    [TestCase("""{"max_cost_usd": "a lot"}""", "positive number")]
    [TestCase("""{"max_wall_time_seconds": 0}""", "positive number (seconds)")]
    [TestCase("""{"max_tokens": 10}""", "is not a budget")]
    [TestCase("""[1, 2]""", "must be an object")]
    public void Should_reject_a_malformed_budget_with_the_reason(string budget, string reason)
    {
        var (resolved, error) = RunBudget.Resolve(null, Config(budget));

        Assert.That(resolved, Is.Null);
        Assert.That(error, Does.Contain(reason));
    }
}

[TestFixture]
public sealed class When_a_run_is_checked_against_its_budget
{
    [Test]
    public void Should_refuse_a_model_call_whose_projected_prompt_exceeds_the_input_tokens_left()
    {
        var prompt = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = new string('x', 400) });
        var budget = new RunBudget(MaxInputTokens: 150);

        var fits = BudgetGuard.BeforeModelCall(budget, new RunSpend(0, 0, 0), prompt, "", null);
        var over = BudgetGuard.BeforeModelCall(budget, new RunSpend(100, 0, 0), prompt, "", null);

        Assert.That(fits, Is.Null, "400 x project to 50 tokens plus 9 of framing, which fit in 150");
        Assert.That(over?.Limit, Is.EqualTo("max_input_tokens"));
    }

    [Test]
    public void Should_price_the_projected_prompt_against_the_cost_left()
    {
        var prompt = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = new string('x', 4000) });

        var over = BudgetGuard.BeforeModelCall(new RunBudget(MaxCostUsd: 0.01m), new RunSpend(0, 0, 0.005m), prompt, "", 0.00001m);

        Assert.That(over?.Limit, Is.EqualTo("max_cost_usd"), "509 projected tokens (4,000 x are 500 in cl100k_base, plus framing) at $0.00001 take the $0.005 spent past $0.01");
    }

    [Test]
    public void Should_detect_the_same_tool_call_repeated_past_the_limit_whatever_the_key_order()
    {
        static JsonObject Call(string id, string args) => new()
        {
            ["type"] = "ai",
            ["content"] = "",
            ["tool_calls"] = new JsonArray(new JsonObject { ["id"] = id, ["name"] = "search_documents", ["args"] = JsonNode.Parse(args) }),
        };
        var budget = new RunBudget(MaxIdenticalToolCalls: 2);
        var twice = new JsonNode?[] { Call("1", """{"query":"gin","k":5}"""), Call("2", """{"k":5,"query":"gin"}""") };
        var thrice = twice.Append(Call("3", """{ "query": "gin", "k": 5 }""")).ToArray();
        var different = twice.Append(Call("3", """{"query":"gist","k":5}""")).ToArray();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(BudgetGuard.FindToolLoop(budget, twice), Is.Null);
            Assert.That(BudgetGuard.FindToolLoop(budget, thrice)?.Error, Is.EqualTo("ToolLoopDetected"));
            Assert.That(BudgetGuard.FindToolLoop(budget, different), Is.Null);
        }
    }
}

[TestFixture]
public sealed class When_an_assistant_routes_steps_to_two_models
{
    [Test]
    public void Should_pick_the_tool_selection_model_for_a_question_and_the_answer_model_after_tool_results()
    {
        var question = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = "q" });
        var afterTools = new JsonArray(new JsonObject { ["type"] = "human" }, new JsonObject { ["type"] = "ai" }, new JsonObject { ["type"] = "tool" });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ModelRouting.Choose(question, "strong", "cheap"), Is.EqualTo("cheap"));
            Assert.That(ModelRouting.Choose(afterTools, "strong", "cheap"), Is.EqualTo("strong"));
            Assert.That(ModelRouting.Choose(question, "strong", null), Is.EqualTo("strong"));
        }
    }
}
