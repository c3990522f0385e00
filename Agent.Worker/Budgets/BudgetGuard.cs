using System.Globalization;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Worker.Messages;
using Agent.Worker.Models.Tokens;

namespace Agent.Worker.Budgets;

/// <summary>
/// What a run has spent so far on model calls: the counters the fenced step commits keep on the run row.
/// </summary>
/// <param name="InputTokens">Input (prompt) tokens, in tokens.</param>
/// <param name="OutputTokens">Output (completion) tokens, in tokens.</param>
/// <param name="CostUsd">Cost in USD.</param>
internal readonly record struct RunSpend(long InputTokens, long OutputTokens, decimal CostUsd);

/// <summary>
/// A limit a run reached, which ends it with status <c>error</c>: the reason, and the answer so far.
/// </summary>
/// <param name="Error">The error name: <c>BudgetExceeded</c> or <c>ToolLoopDetected</c>.</param>
/// <param name="Limit">The limit that was hit, e.g. <c>max_cost_usd</c>.</param>
/// <param name="Message">A sentence naming the limit and the figures.</param>
internal sealed record BudgetViolation(string Error, string Limit, string Message)
{
    /// <summary>Builds the run's <c>error</c> object, with the last answer text of the run as <c>partial_answer</c>.</summary>
    /// <param name="partialAnswer">The text of the run's last <c>ai</c> message, or null.</param>
    /// <returns>The error object.</returns>
    public JsonObject ToError(string? partialAnswer) => new()
    {
        ["error"] = Error,
        ["message"] = Message,
        ["limit"] = Limit,
        ["partial_answer"] = partialAnswer,
    };
}

/// <summary>
/// Checks a run against its <see cref="RunBudget"/>: before each model call with the projected prompt, after it
/// with the actual usage, and before each tool round for loops (the same tool with the same arguments too often).
/// </summary>
internal static class BudgetGuard
{
    /// <summary>
    /// Projects the next call's input tokens (<see cref="TokenCounter"/>, with the model's encoding) and checks that
    /// they, and their input cost, fit in what is left.
    /// </summary>
    /// <param name="budget">The run's budget.</param>
    /// <param name="spent">What the run has spent.</param>
    /// <param name="prompt">The messages about to be sent (LangChain form).</param>
    /// <param name="systemPrompt">The system prompt about to be sent.</param>
    /// <param name="inputPricePerToken">The model's input price in USD per token, or null when unpriced.</param>
    /// <param name="model">The model the call goes to (it chooses the encoding), or null for the default.</param>
    /// <returns>The violation, or null when the call may go ahead.</returns>
    public static BudgetViolation? BeforeModelCall(
        RunBudget budget, RunSpend spent, JsonArray prompt, string systemPrompt, decimal? inputPricePerToken, string? model = null)
    {
        var projected = TokenCounter.CountPrompt(prompt, systemPrompt, model);
        if (budget.MaxInputTokens is { } maxInput && spent.InputTokens + projected > maxInput)
        {
            return new BudgetViolation("BudgetExceeded", "max_input_tokens", string.Create(CultureInfo.InvariantCulture,
                $"The next model call (about {projected} input tokens) would take the run past max_input_tokens ({maxInput}); {spent.InputTokens} used so far."));
        }

        var projectedCost = spent.CostUsd + (projected * (inputPricePerToken ?? 0));
        if (budget.MaxCostUsd is { } maxCost && projectedCost > maxCost)
        {
            return new BudgetViolation("BudgetExceeded", "max_cost_usd", string.Create(CultureInfo.InvariantCulture,
                $"The next model call would take the run to about ${projectedCost:0.######}, past max_cost_usd (${maxCost}); ${spent.CostUsd:0.######} spent so far."));
        }

        return AfterModelCall(budget, spent);
    }

    /// <summary>Checks the actual totals after a model call.</summary>
    /// <param name="budget">The run's budget.</param>
    /// <param name="spent">What the run has spent, the call included.</param>
    /// <returns>The violation, or null.</returns>
    public static BudgetViolation? AfterModelCall(RunBudget budget, RunSpend spent)
    {
        if (budget.MaxInputTokens is { } maxInput && spent.InputTokens > maxInput)
        {
            return new BudgetViolation("BudgetExceeded", "max_input_tokens",
                $"The run used {spent.InputTokens} input tokens, past max_input_tokens ({maxInput}).");
        }

        if (budget.MaxOutputTokens is { } maxOutput && spent.OutputTokens >= maxOutput)
        {
            return new BudgetViolation("BudgetExceeded", "max_output_tokens",
                $"The run used {spent.OutputTokens} output tokens, reaching max_output_tokens ({maxOutput}).");
        }

        if (budget.MaxCostUsd is { } maxCost && spent.CostUsd > maxCost)
        {
            return new BudgetViolation("BudgetExceeded", "max_cost_usd", string.Create(CultureInfo.InvariantCulture,
                $"The run cost ${spent.CostUsd:0.######}, past max_cost_usd (${maxCost})."));
        }

        return null;
    }

    /// <summary>
    /// Counts each (tool, arguments) pair the run's <c>ai</c> messages asked for, the pending round included, and
    /// reports a loop when one pair exceeds <see cref="RunBudget.MaxIdenticalToolCalls"/>. Arguments compare as
    /// JSON values, so key order and spacing do not matter.
    /// </summary>
    /// <param name="budget">The run's budget.</param>
    /// <param name="runMessages">The messages this run added, ending with the <c>ai</c> message about to be run.</param>
    /// <returns>The violation, or null.</returns>
    public static BudgetViolation? FindToolLoop(RunBudget budget, IEnumerable<JsonNode?> runMessages)
    {
        var counts = new Dictionary<(string Name, string Arguments), int>();
        foreach (var message in runMessages.OfType<JsonObject>())
        {
            foreach (var (_, name, arguments) in LangChainMessages.ToolCalls(message))
            {
                var key = (name, Canonical(arguments));
                var count = counts[key] = counts.GetValueOrDefault(key) + 1;
                if (count > budget.MaxIdenticalToolCalls)
                {
                    return new BudgetViolation("ToolLoopDetected", "max_identical_tool_calls",
                        $"The run called {name} with the same arguments {count} times (max_identical_tool_calls is {budget.MaxIdenticalToolCalls}): {key.Item2}");
                }
            }
        }

        return null;
    }

    private static string Canonical(IDictionary<string, object?> arguments) =>
        Canonical(System.Text.Json.JsonSerializer.SerializeToNode(arguments));

    private static string Canonical(JsonNode? node) => node switch
    {
        JsonObject obj => "{" + string.Join(",", obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => System.Text.Json.JsonSerializer.Serialize(p.Key) + ":" + Canonical(p.Value))) + "}",
        JsonArray array => "[" + string.Join(",", array.Select(Canonical)) + "]",
        null => "null",
        _ => node.ToJsonString(),
    };
}
