using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Worker.Messages;
using Agent.Worker.Runs;
using Agent.Worker.Tools;
using Agent.Worker.Tools.Mcp;
using Microsoft.Extensions.AI;

namespace Agent.Worker.Graphs;

/// <summary>
/// The retrieval agent: a ReAct graph of two nodes, <c>agent</c> (a model call offered the tools) and
/// <c>tools</c> (runs the calls the model asked for), looping until the model answers without tool calls.
/// It holds no state and writes nothing: the run executor persists each node's output as a step.
/// </summary>
/// <param name="chatClient">The model port.</param>
/// <param name="tools">The registered (C#) tools.</param>
/// <param name="timeProvider">The clock, for latency.</param>
/// <param name="mcpServers">The MCP tool servers, whose tools come next to the C# ones; null for none.</param>
internal sealed class RetrievalAgent(
    IChatClient chatClient, IEnumerable<IAgentTool> tools, TimeProvider timeProvider, McpToolServers? mcpServers = null)
{
    /// <summary>The system prompt used when the assistant's config sets none.</summary>
    public const string DefaultSystemPrompt =
        "You answer questions about PostgreSQL using its manual. Always call search_documents first, read the " +
        "passages, call read_document when a passage is cut short, and answer concisely, quoting the manual and " +
        "citing each source as (title, file). If the manual does not answer the question, say so.";

    private readonly Dictionary<string, IAgentTool> toolsByName = tools.ToDictionary(t => t.Name, StringComparer.Ordinal);

    private IEnumerable<IAgentTool> AllTools => mcpServers is null ? toolsByName.Values : toolsByName.Values.Concat(mcpServers.Tools);

    /// <summary>
    /// Narrows the tools a run may use: its <c>configurable.tools</c>, and its <c>configurable.mcp_servers</c>, which
    /// keeps the C# tools and the tools of the named MCP servers only (a name this worker has not configured matches no
    /// tool).
    /// </summary>
    /// <param name="tools">The run's <c>configurable.tools</c>, or null for all.</param>
    /// <param name="servers">The run's <c>configurable.mcp_servers</c>, or null for every configured server.</param>
    /// <returns>The tool names allowed, or null for all.</returns>
    public IReadOnlyCollection<string>? AllowedTools(IReadOnlyCollection<string>? tools, IReadOnlyCollection<string>? servers)
    {
        if (servers is null || mcpServers is null)
        {
            return tools;
        }

        return toolsByName.Keys
            .Concat(mcpServers.ToolNames(servers))
            .Where(name => tools is null || tools.Contains(name))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Gets the model a call without one goes to (the provider's default), or null when the provider does not say.</summary>
    public string? DefaultModel { get; } = chatClient.GetService<ChatClientMetadata>()?.DefaultModelId;

    /// <summary>Decides which node runs next from the state's last message.</summary>
    /// <param name="messages">The thread's messages.</param>
    /// <returns><see cref="AgentNode.Tools"/> after tool calls, <see cref="AgentNode.End"/> after an answer, else <see cref="AgentNode.Agent"/>.</returns>
    public static string NextNode(JsonArray messages)
    {
        if (messages.Count == 0 || messages[^1] is not JsonObject last)
        {
            return AgentNode.Agent;
        }

        if (last["type"]?.GetValue<string>() != "ai")
        {
            return AgentNode.Agent;
        }

        return last["tool_calls"] is JsonArray { Count: > 0 } ? AgentNode.Tools : AgentNode.End;
    }

    /// <summary>Calls the model once with the conversation and the tools, streaming, and collects its answer.</summary>
    /// <param name="messages">The thread's messages.</param>
    /// <param name="messageId">The id to give the <c>ai</c> message (stable for the step).</param>
    /// <param name="model">The model to ask for, or null for the provider's default.</param>
    /// <param name="systemPrompt">The system prompt, or null for <see cref="DefaultSystemPrompt"/>; empty sends none.</param>
    /// <param name="allowedTools">The tools offered (an assistant's <c>configurable.tools</c>), or null for all.</param>
    /// <param name="onUpdate">Called with each streaming update as it arrives (token relay), or null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model step.</returns>
    public async Task<ModelStep> CallModelAsync(
        JsonArray messages, string messageId, string? model, string? systemPrompt, IReadOnlyCollection<string>? allowedTools,
        Func<ChatResponseUpdate, ValueTask>? onUpdate, CancellationToken cancellationToken)
    {
        // An empty prompt (a graph node that set none) sends no system message.
        var prompt = systemPrompt ?? DefaultSystemPrompt;
        var chatMessages = prompt.Length > 0 ? new List<ChatMessage> { new(ChatRole.System, prompt) } : [];
        chatMessages.AddRange(LangChainMessages.ToChatMessages(messages));
        var options = new ChatOptions
        {
            ModelId = model,
            ToolMode = ChatToolMode.Auto,
            Tools = AllTools
                .Where(t => allowedTools is null || allowedTools.Contains(t.Name))
                .Select(t => (AITool)AIFunctionFactory.CreateDeclaration(t.Name, t.Description, t.ParametersSchema))
                .ToList(),
        };

        var started = timeProvider.GetTimestamp();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chatClient.GetStreamingResponseAsync(chatMessages, options, cancellationToken))
        {
            updates.Add(update);
            if (onUpdate is not null)
            {
                await onUpdate(update);
            }
        }

        var response = updates.ToChatResponse();
        var latency = timeProvider.GetElapsedTime(started).TotalMilliseconds;
        var provider = chatClient.GetService<ChatClientMetadata>()?.ProviderName ?? "unknown";
        var usage = response.Usage;
        return new ModelStep(
            LangChainMessages.FromResponse(messageId, response, provider),
            provider,
            response.ModelId ?? model,
            usage?.InputTokenCount ?? 0,
            usage?.OutputTokenCount ?? 0,
            usage?.CachedInputTokenCount,
            latency,
            response.FinishReason?.Value);
    }

    /// <summary>
    /// Runs every tool call of the last <c>ai</c> message. An unknown tool or arguments that do not fit the tool's
    /// schema (<see cref="ToolArgumentValidator"/>), that the tool refuses (<see cref="ToolArgumentException"/>) or a
    /// tool failure reported as <see cref="ToolFailedException"/> become an error tool message the model can read (as
    /// LangGraph's ToolNode does); other failures propagate.
    /// </summary>
    /// <param name="aiMessage">The <c>ai</c> message with <c>tool_calls</c>.</param>
    /// <param name="runId">The run.</param>
    /// <param name="step">The step index, part of each call's idempotency key.</param>
    /// <param name="allowedTools">The tools the model was offered, or null for all; a call of another is an error result.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>One <c>tool</c> message per call, in call order, and each call's latency in ms.</returns>
    public Task<(JsonArray Messages, JsonArray Calls)> RunToolsAsync(
        JsonObject aiMessage, Guid runId, int step, IReadOnlyCollection<string>? allowedTools, CancellationToken cancellationToken) =>
        RunToolsAsync(aiMessage, runId, step, allowedTools, collections: null, guard: null, cancellationToken);

    /// <summary>
    /// Runs every tool call of the last <c>ai</c> message, each through <paramref name="guard"/> (the run executor's
    /// time limit and retries). An unknown tool, bad arguments or a <see cref="ToolFailedException"/> become an error
    /// tool message the model can read; other failures propagate.
    /// </summary>
    /// <param name="aiMessage">The <c>ai</c> message with <c>tool_calls</c>.</param>
    /// <param name="runId">The run.</param>
    /// <param name="step">The step index, part of each call's idempotency key.</param>
    /// <param name="allowedTools">The tools the model was offered, or null for all; a call of another is an error result.</param>
    /// <param name="collections">The document collections the run may read (<see cref="ToolInvocation.Collections"/>), or null for all.</param>
    /// <param name="guard">Runs one tool call (given a token), or null to call the tool directly.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <param name="interrupt">The tool node's interrupt, for tools that ask a human (<see cref="AgentToolContext.Interrupt"/>), or null.</param>
    /// <returns>One <c>tool</c> message per call, in call order, and each call's latency in ms.</returns>
    public async Task<(JsonArray Messages, JsonArray Calls)> RunToolsAsync(
        JsonObject aiMessage,
        Guid runId,
        int step,
        IReadOnlyCollection<string>? allowedTools,
        IReadOnlyList<string>? collections,
        Func<Func<CancellationToken, Task<string>>, CancellationToken, Task<string>>? guard,
        CancellationToken cancellationToken,
        Func<JsonNode?, JsonNode?>? interrupt = null)
    {
        var results = new JsonArray();
        var calls = new JsonArray();
        foreach (var (id, name, arguments) in LangChainMessages.ToolCalls(aiMessage))
        {
            var started = timeProvider.GetTimestamp();
            string content;
            var isError = false;
            if (Find(name) is not { } tool || (allowedTools is not null && !allowedTools.Contains(name)))
            {
                var available = AllTools.Select(t => t.Name).Where(t => allowedTools is null || allowedTools.Contains(t));
                content = $"Error: there is no tool named '{name}'. Available tools: {string.Join(", ", available)}."
                    + (mcpServers?.UnreachableServers() is { Count: > 0 } down
                        ? $" Not reachable now (their tools may be missing): the MCP server(s) {string.Join(", ", down)}."
                        : string.Empty);
                isError = true;
            }
            else
            {
                try
                {
                    var json = JsonSerializer.SerializeToElement(arguments);
                    // The schema is checked here, for every registered tool, so no tool sees arguments it forbids.
                    if (ToolArgumentValidator.Validate(tool.ParametersSchema, json) is { } invalid)
                    {
                        throw new ToolArgumentException(invalid);
                    }

                    var invocation = new ToolInvocation(runId, step, id) { Collections = collections, Interrupt = interrupt };
                    content = guard is null
                        ? await tool.InvokeAsync(json, invocation, cancellationToken)
                        : await guard(token => tool.InvokeAsync(json, invocation, token), cancellationToken);
                }
                catch (Exception ex) when (ex is ToolArgumentException or ToolFailedException)
                {
                    content = "Error: " + ex.Message;
                    isError = true;
                }
            }

            var latency = timeProvider.GetElapsedTime(started).TotalMilliseconds;
            results.Add(LangChainMessages.ToolMessage($"run-{runId:N}-{step}-{results.Count}", id, name, content, isError));
            calls.Add(new JsonObject { ["name"] = name, ["id"] = id, ["latency_ms"] = Math.Round(latency, 2), ["error"] = isError });
        }

        return (results, calls);
    }

    // A C# tool wins over an MCP tool of the same name (McpToolServers leaves such a tool out anyway).
    private IAgentTool? Find(string name) =>
        toolsByName.TryGetValue(name, out var tool) ? tool : mcpServers?.Find(name);
}
