using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Worker.Budgets;
using Agent.Worker.Models;
using Agent.Worker.Runs;

namespace Agent.Worker.Graphs;

/// <summary>
/// What a node gets besides the state: the run's identity and step, the run's cancellation token, the run's service
/// scope, and the model and tools as the worker runs them (budget checks first, in-step retries and time limits, tokens
/// streamed live to <c>messages</c> stream mode, usage recorded with the step).
/// </summary>
/// <remarks>
/// A node execution is one durable step: it may run again after a crash or a transient failure, so whatever it does
/// outside the returned <see cref="AgentStateUpdate"/> must be idempotent. A node makes at most one model call (the
/// step carries one usage row).
/// </remarks>
public sealed class AgentNodeContext
{
    private readonly AgentNodeServices services;
    private readonly RunState state;

    internal AgentNodeContext(
        AgentNodeServices services, RunState state, string node, IReadOnlyList<string> defaultCollections, CancellationToken cancellationToken)
    {
        this.services = services;
        this.state = state;
        Node = node;
        Collections = state.Settings.Collections ?? defaultCollections;
        CancellationToken = cancellationToken;
    }

    /// <summary>Gets the run's id.</summary>
    public Guid RunId => state.Progress.RunId;

    /// <summary>Gets the run's thread id.</summary>
    public Guid ThreadId => state.Progress.ThreadId;

    /// <summary>Gets the step index this node execution commits as (0 is the input, <c>__start__</c>).</summary>
    public int Step => state.Progress.NextStep;

    /// <summary>Gets the name of the node being run.</summary>
    public string Node { get; }

    /// <summary>Gets the run's token: cancelled on a cancel request, the run's deadline, worker shutdown or a lost lease.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>
    /// Gets the document collections this run's <c>search_documents</c> and <c>read_document</c> read: the run's
    /// <c>config.configurable.collections</c> (else its assistant's), else the graph's
    /// <see cref="AgentGraphBuilder.DefaultCollections"/>. Empty when neither names any (the tools then find nothing).
    /// </summary>
    public IReadOnlyList<string> Collections { get; }

    /// <summary>Gets the run's service scope (resolve the deployer's own services here).</summary>
    public IServiceProvider Services => services.Services;

    internal ModelStep? ModelStep { get; private set; }

    internal JsonArray? ToolCalls { get; private set; }

    /// <summary>
    /// Calls the model once with the state's messages, offering the registered tools, streaming its tokens to the run's
    /// <c>messages</c> stream, and returns its <c>ai</c> message (id <c>run-{run_id:N}-{step}</c>, stable across retries).
    /// Return it in the node's update to keep it. Transient provider failures are retried in the step
    /// (<c>AgentWorker:StepRetries</c>), then the run waits and resumes this step.
    /// </summary>
    /// <param name="request">The prompt, model and tools; null for the defaults of <see cref="AgentModelRequest"/>.</param>
    /// <returns>The LangChain <c>ai</c> message (<c>content</c>, <c>tool_calls</c>, <c>usage_metadata</c>).</returns>
    /// <exception cref="InvalidOperationException">The node already called the model in this step.</exception>
    public async Task<JsonObject> CallModelAsync(AgentModelRequest? request = null)
    {
        if (ModelStep is not null)
        {
            throw new InvalidOperationException($"Node '{Node}' called the model twice; a node makes at most one model call (one step, one usage row).");
        }

        request ??= new AgentModelRequest();
        var (run, messages, settings) = (state.Progress, state.Messages, state.Settings);
        var model = ModelRouting.Choose(messages, settings.Model ?? request.Model, settings.ToolSelectionModel);
        var inputPrice = services.Prices.CostUsd(model, 1_000_000, 0) / 1_000_000m;
        var systemPrompt = settings.SystemPrompt ?? request.SystemPrompt ?? string.Empty;
        if (BudgetGuard.BeforeModelCall(state.Budget, run.Spend, messages, systemPrompt, inputPrice, model ?? services.Agent.DefaultModel) is { } projected)
        {
            throw new AgentNodeStop(projected);
        }

        IReadOnlyCollection<string>? tools = (request.Tools, services.Agent.AllowedTools(settings.Tools, settings.McpServers)) switch
        {
            (null, var fromConfig) => fromConfig,
            (var fromNode, null) => fromNode,
            var (fromNode, fromConfig) => fromNode.Where(fromConfig.Contains).ToList(),
        };
        var messageId = $"run-{run.RunId:N}-{run.NextStep}";
        // Tokens go out as they stream; the publisher is flushed before the step commits, so they precede it.
        await using (var tokens = new TokenStreamPublisher(services.Publisher, services.TimeProvider, services.Logger, new AgentRunTokenStreamed
        {
            RunId = run.RunId,
            ThreadId = run.ThreadId,
            AfterSequence = run.LastSequence,
            Step = run.NextStep,
            Node = Node,
            MessageId = messageId,
            Offset = 0,
            Text = string.Empty,
            CreatedAt = services.TimeProvider.GetUtcNow(),
        }))
        {
            ModelStep = await services.Retries.CallModelAsync(
                token => services.Agent.CallModelAsync(messages, messageId, model, systemPrompt, tools, tokens.OnUpdateAsync, token),
                CancellationToken);
        }

        return (JsonObject)ModelStep.Message.DeepClone();
    }

    /// <summary>
    /// Runs the tool calls of the last <c>ai</c> message (LangGraph's <c>ToolNode</c>), each with its idempotency key
    /// <c>run_id:step:tool_call_id</c>, and returns one <c>tool</c> message per call. An unknown tool, arguments that
    /// do not fit the tool's JSON schema, or an exception thrown by an <c>AddAgentTool</c> function become a
    /// <c>tool</c> message with <c>status</c> <c>error</c> that the model reads; the run goes on.
    /// </summary>
    /// <returns>The update adding the <c>tool</c> messages; empty when the last message has no tool calls.</returns>
    public async Task<AgentStateUpdate> RunToolCallsAsync()
    {
        var messages = state.Messages;
        if (messages.Count == 0 || messages[^1] is not JsonObject last || last["type"]?.GetValue<string>() != "ai")
        {
            return AgentStateUpdate.None;
        }

        if (BudgetGuard.FindToolLoop(state.Budget, messages.Skip(state.FirstOwnMessage)) is { } loop)
        {
            throw new AgentNodeStop(loop);
        }

        var (results, calls) = await services.Agent.RunToolsAsync(
            last, RunId, Step, services.Agent.AllowedTools(state.Settings.Tools, state.Settings.McpServers), Collections,
            services.Retries.CallToolAsync, CancellationToken);
        ToolCalls = calls;
        var update = new AgentStateUpdate();
        foreach (var result in results.ToList())
        {
            results.Remove(result);
            update.AddMessage((JsonObject)result!);
        }

        return update;
    }
}
