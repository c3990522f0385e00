using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Persistence.Checkpoints;
using Agent.Worker.Budgets;
using Agent.Worker.Interrupts;
using Agent.Worker.Messages;
using Agent.Worker.Models;
using Agent.Worker.Runs;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

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
    private int interruptCount;

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
        request ??= new AgentModelRequest();
        var (run, messages, settings) = (state.Progress, state.Messages, state.Settings);
        var model = ModelRouting.Choose(messages, settings.Model ?? request.Model, settings.ToolSelectionModel);
        var systemPrompt = settings.SystemPrompt ?? request.SystemPrompt ?? string.Empty;
        EnsureModelCallAllowed(model, systemPrompt);

        IReadOnlyCollection<string>? tools = (request.Tools, services.Agent.AllowedTools(settings.Tools, settings.McpServers)) switch
        {
            (null, var fromConfig) => fromConfig,
            (var fromNode, null) => fromNode,
            var (fromNode, fromConfig) => fromNode.Where(fromConfig.Contains).ToList(),
        };
        var messageId = $"run-{run.RunId:N}-{run.StepKey}";
        // Tokens go out as they stream; the publisher is flushed before the step commits, so they precede it.
        await using (var tokens = NewTokenPublisher(messageId))
        {
            ModelStep = await services.Retries.CallModelAsync(
                token => services.Agent.CallModelAsync(messages, messageId, model, systemPrompt, tools, tokens.OnUpdateAsync, token),
                CancellationToken);
        }

        return (JsonObject)ModelStep.Message.DeepClone();
    }

    /// <summary>
    /// Runs a Microsoft Agent Framework <see cref="AIAgent"/> once over the state's messages, as this node's one model
    /// call, and returns its answer as an <c>ai</c> message (id <c>run-{run_id:N}-{step}</c>). What the agent does
    /// inside the invocation (its own model calls, its own tool calls through its function invocation) is one durable
    /// step: it runs again whole if the worker dies before the step commits. Budgets are checked first, the agent's
    /// streamed text goes to the <c>messages</c> stream mode, its reported usage becomes the step's usage row (provider
    /// <see cref="AgentFrameworkProvider"/>), and transient failures are retried in the step as for
    /// <see cref="CallModelAsync"/>. Each call creates a fresh session: the thread's messages are the memory.
    /// </summary>
    /// <param name="agent">The agent, e.g. a <c>ChatClientAgent</c> built the way the team already builds it.</param>
    /// <returns>The LangChain <c>ai</c> message: the agent's last assistant text (and any tool calls it left unanswered).</returns>
    /// <exception cref="InvalidOperationException">The node already called the model in this step.</exception>
    public async Task<JsonObject> RunAgentAsync(AIAgent agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var (run, messages) = (state.Progress, state.Messages);
        EnsureModelCallAllowed(state.Settings.Model ?? services.Agent.DefaultModel, string.Empty);

        var messageId = $"run-{run.RunId:N}-{run.StepKey}";
        await using (var tokens = NewTokenPublisher(messageId))
        {
            ModelStep = await services.Retries.CallModelAsync(
                async token =>
                {
                    var started = services.TimeProvider.GetTimestamp();
                    var updates = new List<AgentResponseUpdate>();
                    await foreach (var update in agent.RunStreamingAsync(LangChainMessages.ToChatMessages(messages), session: null, options: null, token))
                    {
                        updates.Add(update);
                        await tokens.OnUpdateAsync(update.AsChatResponseUpdate());
                    }

                    var response = updates.ToAgentResponse();
                    var answer = response.AsChatResponse();
                    // Only the last assistant message is the node's answer: the agent's intermediate tool rounds stay inside it.
                    var last = answer.Messages.LastOrDefault(m => m.Role == ChatRole.Assistant) ?? new ChatMessage(ChatRole.Assistant, string.Empty);
                    var final = new ChatResponse(last) { ModelId = answer.ModelId ?? agent.Name, Usage = response.Usage, FinishReason = response.FinishReason };
                    return new ModelStep(
                        LangChainMessages.FromResponse(messageId, final, AgentFrameworkProvider),
                        AgentFrameworkProvider,
                        final.ModelId,
                        response.Usage?.InputTokenCount ?? 0,
                        response.Usage?.OutputTokenCount ?? 0,
                        response.Usage?.CachedInputTokenCount,
                        services.TimeProvider.GetElapsedTime(started).TotalMilliseconds,
                        response.FinishReason?.Value);
                },
                CancellationToken);
        }

        return (JsonObject)ModelStep.Message.DeepClone();
    }

    /// <summary>The provider name of the usage rows of <see cref="RunAgentAsync"/>: <c>agent-framework</c>.</summary>
    public const string AgentFrameworkProvider = "agent-framework";

    /// <summary>
    /// Pauses the run for a human's input (LangGraph's <c>interrupt(value)</c>): the first time, the node stops here,
    /// nothing of its step is committed, the run ends and the thread goes <c>interrupted</c> with <paramref name="value"/>
    /// shown to the client (<c>__interrupt__</c>, <c>tasks[].interrupts</c>). A later run on the thread with
    /// <c>command: {"resume": ...}</c> runs the node again from its start, and this call then returns the resume value.
    /// Calls are matched by position: the n-th call of a node execution gets the n-th resume.
    /// </summary>
    /// <param name="value">What the client is asked (any JSON, e.g. a question or a tool call to review).</param>
    /// <returns>The resume value the client sent for this interrupt.</returns>
    /// <exception cref="NodeInterruptException">No resume answers it yet: let it propagate out of the node.</exception>
    public JsonNode? Interrupt(JsonNode? value)
    {
        var id = state.Interrupts.Id(state.Progress.ParentCheckpointId, Node, interruptCount++);
        if (state.Interrupts.TryResume(id, out var resume))
        {
            return resume;
        }

        throw new NodeInterruptException(state.Interrupts.PauseWith(new PendingInterrupt(id, Node, PendingInterrupt.During, value?.DeepClone())));
    }

    /// <summary>
    /// Runs the tool calls of the last <c>ai</c> message (LangGraph's <c>ToolNode</c>), each with its idempotency key
    /// <c>run_id:step:tool_call_id</c>, and returns one <c>tool</c> message per call. An unknown tool, arguments that
    /// do not fit the tool's JSON schema, or an exception thrown by an <c>AddAgentTool</c> function become a
    /// <c>tool</c> message with <c>status</c> <c>error</c> that the model reads; the run goes on.
    /// </summary>
    /// <param name="approve">
    /// Tools whose calls a human reviews first: the run pauses with the calls under review (<see cref="ToolApproval"/>,
    /// LangChain's <c>HumanInTheLoopMiddleware</c> shape) before any tool of the message runs, and on resume each call
    /// runs as approved, runs with edited arguments, or is answered with a rejection the model reads. The tools named by
    /// the run's (else the assistant's) <c>config.configurable.approve_tools</c> are reviewed too. Null or empty: no review.
    /// </param>
    /// <returns>The update adding the <c>tool</c> messages; empty when the last message has no tool calls.</returns>
    /// <exception cref="NodeInterruptException">Calls need review and no resume answers it yet.</exception>
    public async Task<AgentStateUpdate> RunToolCallsAsync(IReadOnlySet<string>? approve = null)
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

        // The graph's reviewed tools, and those the run's or assistant's configurable.approve_tools names.
        IReadOnlySet<string>? reviewed = state.Settings.ApproveTools is { Count: > 0 } configured
            ? configured.Union(approve ?? new HashSet<string>()).ToHashSet(StringComparer.Ordinal)
            : approve;
        var (toRun, rejected) = Review(last, reviewed);
        var (results, calls) = await services.Agent.RunToolsAsync(
            toRun, RunId, Step, services.Agent.AllowedTools(state.Settings.Tools, state.Settings.McpServers), Collections,
            services.Retries.CallToolAsync, CancellationToken, Interrupt);
        ToolCalls = calls;
        var update = new AgentStateUpdate();
        var answers = new Queue<JsonObject>(results.OfType<JsonObject>());
        // One tool message per call, in the calls' order: a rejected call's answer in its place.
        foreach (var (id, _, _) in LangChainMessages.ToolCalls(last))
        {
            var answer = rejected.TryGetValue(id, out var rejection) ? rejection : answers.TryDequeue(out var result) ? result : null;
            if (answer is not null)
            {
                update.AddMessage((JsonObject)answer.DeepClone());
            }
        }

        return update;
    }

    private (JsonObject ToRun, Dictionary<string, JsonObject> Rejected) Review(JsonObject last, IReadOnlySet<string>? approve)
    {
        var rejected = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var calls = LangChainMessages.ToolCalls(last).ToList();
        var reviewed = approve is { Count: > 0 } ? calls.Where(c => approve.Contains(c.Name)).ToList() : [];
        if (reviewed.Count == 0)
        {
            return (last, rejected);
        }

        var toolCalls = (last["tool_calls"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        JsonNode? ArgsOf(string id) => toolCalls.FirstOrDefault(c => c["id"]?.GetValue<string>() == id)?["args"];
        var review = Interrupt(ToolApproval.Request(reviewed.Select(c => (c.Id, c.Name, ArgsOf(c.Id)))));
        var copy = (JsonObject)last.DeepClone();
        var copiedCalls = (JsonArray)copy["tool_calls"]!;
        for (var i = 0; i < reviewed.Count; i++)
        {
            var (id, name, _) = reviewed[i];
            var decision = ToolApproval.Read(review, i);
            var call = copiedCalls.OfType<JsonObject>().First(c => c["id"]?.GetValue<string>() == id);
            if (!decision.Runs)
            {
                copiedCalls.Remove(call);
                rejected[id] = LangChainMessages.ToolMessage(
                    $"run-{RunId:N}-{Step}-r{i}", id, name, decision.Message ?? $"The user rejected the call of {name}; it did not run.", isError: true);
            }
            else if (decision.Args is { } edited)
            {
                call["args"] = edited;
            }
        }

        return (copy, rejected);
    }

    /// <summary>
    /// The rules before a node's model call: one model call per step (one usage row), and the run's budgets must allow
    /// the projected cost of the prompt (<see cref="BudgetGuard.BeforeModelCall"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">The node already called the model in this step.</exception>
    /// <exception cref="AgentNodeStop">A budget would be exceeded; the run stops with that reason.</exception>
    private void EnsureModelCallAllowed(string? model, string systemPrompt)
    {
        if (ModelStep is not null)
        {
            throw new InvalidOperationException($"Node '{Node}' called the model twice; a node makes at most one model call (one step, one usage row).");
        }

        // The price of the model as routed (unknown: no projection); the name falls back to the client's default.
        var inputPrice = services.Prices.CostUsd(model, 1_000_000, 0) / 1_000_000m;
        if (BudgetGuard.BeforeModelCall(state.Budget, state.Progress.Spend, state.Messages, systemPrompt, inputPrice, model ?? services.Agent.DefaultModel) is { } projected)
        {
            throw new AgentNodeStop(projected);
        }
    }

    private TokenStreamPublisher NewTokenPublisher(string messageId) =>
        new(services.Publisher, services.TimeProvider, services.Logger, new AgentRunTokenStreamed
        {
            RunId = state.Progress.RunId,
            ThreadId = state.Progress.ThreadId,
            AfterSequence = state.Progress.LastSequence,
            Step = state.Progress.NextStep,
            Node = Node,
            CheckpointNs = state.Progress.CheckpointNs,
            MessageId = messageId,
            Offset = 0,
            Text = string.Empty,
            CreatedAt = services.TimeProvider.GetUtcNow(),
        });
}
