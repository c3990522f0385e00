using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Worker.Pricing;
using Agent.Worker.Agent;
using Agent.Worker.Budgets;
using Agent.Worker.Models;
using MassTransit;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Runs;

/// <summary>
/// The built-in graph <c>agent</c> behind <see cref="IRunGraph"/>: a model node (<see cref="AgentNode.Agent"/>: one
/// model call offered the run's tools, its tokens streamed live) and a tools node (<see cref="AgentNode.Tools"/>: the
/// last ai message's tool calls), chosen by <see cref="RetrievalAgent.NextNode"/>. Each node checks the run's budget
/// first, and every external call goes through <see cref="StepRetries"/>.
/// </summary>
/// <param name="agent">The agent (model and tools).</param>
/// <param name="prices">Prices the budget projection.</param>
/// <param name="retries">The per-call time limits and in-step retries.</param>
/// <param name="publisher">Publishes the token stream.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed class RetrievalAgentGraph(
    RetrievalAgent agent, ModelPriceTable prices, StepRetries retries, IPublishEndpoint publisher, TimeProvider timeProvider,
    ILogger<RetrievalAgentGraph> logger) : IRunGraph
{
    /// <inheritdoc />
    public string NextNode(RunState state) => RetrievalAgent.NextNode(state.Messages);

    /// <inheritdoc />
    public Task<NodeResult> RunNodeAsync(string node, RunState state, CancellationToken cancellationToken) =>
        node == AgentNode.Agent ? CallModelAsync(state, cancellationToken) : RunToolsAsync(state, cancellationToken);

    private async Task<NodeResult> CallModelAsync(RunState state, CancellationToken cancellationToken)
    {
        var (run, messages, settings) = (state.Progress, state.Messages, state.Settings);
        var stepModel = ModelRouting.Choose(messages, settings.Model, settings.ToolSelectionModel);
        var inputPrice = prices.CostUsd(stepModel, 1_000_000, 0) / 1_000_000m;
        var systemPrompt = settings.SystemPrompt ?? RetrievalAgent.DefaultSystemPrompt;
        if (BudgetGuard.BeforeModelCall(state.Budget, run.Spend, messages, systemPrompt, inputPrice, stepModel ?? agent.DefaultModel) is { } projected)
        {
            return NodeResult.Stopped(projected);
        }

        var messageId = $"run-{run.RunId:N}-{run.NextStep}";
        ModelStep step;
        // Tokens go out as they stream; the publisher is flushed before the step commits, so they precede it.
        await using (var tokens = new TokenStreamPublisher(publisher, timeProvider, logger, new AgentRunTokenStreamed
        {
            RunId = run.RunId,
            ThreadId = run.ThreadId,
            AfterSequence = run.LastSequence,
            Step = run.NextStep,
            Node = AgentNode.Agent,
            MessageId = messageId,
            Offset = 0,
            Text = string.Empty,
            CreatedAt = timeProvider.GetUtcNow(),
        }))
        {
            step = await retries.CallModelAsync(
                token => agent.CallModelAsync(messages, messageId, stepModel, settings.SystemPrompt, settings.Tools, tokens.OnUpdateAsync, token),
                cancellationToken);
        }

        return new NodeResult([step.Message], ModelStep: step);
    }

    private async Task<NodeResult> RunToolsAsync(RunState state, CancellationToken cancellationToken)
    {
        if (BudgetGuard.FindToolLoop(state.Budget, state.Messages.Skip(state.FirstOwnMessage)) is { } loop)
        {
            return NodeResult.Stopped(loop);
        }

        var (results, calls) = await agent.RunToolsAsync(
            (JsonObject)state.Messages[^1]!, state.Progress.RunId, state.Progress.NextStep, state.Settings.Tools, retries.CallToolAsync,
            cancellationToken);
        return new NodeResult(results, ToolCalls: calls);
    }
}
