namespace Agent.Worker.Telemetry;

/// <summary>
/// Attribute names and values of the OpenTelemetry GenAI semantic conventions, v1.41 (the last release in
/// open-telemetry/semantic-conventions, docs/gen-ai/gen-ai-spans.md, gen-ai-agent-spans.md and gen-ai-metrics.md; all
/// Development status), plus the runtime's own namespaced attributes. One place, so a move to the newer
/// semantic-conventions-genai names is one edit.
/// </summary>
internal static class GenAiAttributes
{
    /// <summary><c>gen_ai.operation.name</c>: <c>chat</c>, <c>execute_tool</c>, <c>invoke_agent</c>.</summary>
    public const string OperationName = "gen_ai.operation.name";

    /// <summary><c>gen_ai.provider.name</c> (renamed from <c>gen_ai.system</c> in v1.37).</summary>
    public const string ProviderName = "gen_ai.provider.name";

    /// <summary><c>gen_ai.request.model</c>: the model asked for (on Azure, the deployment).</summary>
    public const string RequestModel = "gen_ai.request.model";

    /// <summary><c>gen_ai.request.stream</c>: true for a streamed call.</summary>
    public const string RequestStream = "gen_ai.request.stream";

    /// <summary><c>gen_ai.request.max_tokens</c>.</summary>
    public const string RequestMaxTokens = "gen_ai.request.max_tokens";

    /// <summary><c>gen_ai.request.temperature</c>.</summary>
    public const string RequestTemperature = "gen_ai.request.temperature";

    /// <summary><c>gen_ai.response.model</c>: the model that answered.</summary>
    public const string ResponseModel = "gen_ai.response.model";

    /// <summary><c>gen_ai.response.id</c>.</summary>
    public const string ResponseId = "gen_ai.response.id";

    /// <summary><c>gen_ai.response.finish_reasons</c> (string array).</summary>
    public const string ResponseFinishReasons = "gen_ai.response.finish_reasons";

    /// <summary><c>gen_ai.response.time_to_first_chunk</c>, in seconds (streaming).</summary>
    public const string ResponseTimeToFirstChunk = "gen_ai.response.time_to_first_chunk";

    /// <summary><c>gen_ai.usage.input_tokens</c>.</summary>
    public const string UsageInputTokens = "gen_ai.usage.input_tokens";

    /// <summary><c>gen_ai.usage.output_tokens</c>.</summary>
    public const string UsageOutputTokens = "gen_ai.usage.output_tokens";

    /// <summary><c>gen_ai.usage.cache_read.input_tokens</c>: input tokens served from the provider's prompt cache.</summary>
    public const string UsageCacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens";

    /// <summary><c>gen_ai.conversation.id</c>: the thread id.</summary>
    public const string ConversationId = "gen_ai.conversation.id";

    /// <summary><c>gen_ai.agent.name</c>: the graph, <c>agent</c>.</summary>
    public const string AgentName = "gen_ai.agent.name";

    /// <summary><c>gen_ai.tool.name</c>.</summary>
    public const string ToolName = "gen_ai.tool.name";

    /// <summary><c>gen_ai.tool.call.id</c>.</summary>
    public const string ToolCallId = "gen_ai.tool.call.id";

    /// <summary><c>gen_ai.tool.type</c>: <c>function</c>.</summary>
    public const string ToolType = "gen_ai.tool.type";

    /// <summary><c>gen_ai.token.type</c> on <c>gen_ai.client.token.usage</c>: <c>input</c> or <c>output</c>.</summary>
    public const string TokenType = "gen_ai.token.type";

    /// <summary><c>gen_ai.input.messages</c> (opt-in content capture), JSON text.</summary>
    public const string InputMessages = "gen_ai.input.messages";

    /// <summary><c>gen_ai.output.messages</c> (opt-in content capture), JSON text.</summary>
    public const string OutputMessages = "gen_ai.output.messages";

    /// <summary><c>error.type</c> (stable): the exception type or HTTP status of a failure.</summary>
    public const string ErrorType = "error.type";

    /// <summary><c>server.address</c> (stable).</summary>
    public const string ServerAddress = "server.address";

    /// <summary><c>server.port</c> (stable).</summary>
    public const string ServerPort = "server.port";

    /// <summary>The runtime's run id attribute: <c>agent_runtime.run.id</c> (kept off metrics: unbounded cardinality).</summary>
    public const string RunId = "agent_runtime.run.id";

    /// <summary>The runtime's run status attribute on <c>invoke_agent</c>: <c>agent_runtime.run.status</c>.</summary>
    public const string RunStatus = "agent_runtime.run.status";

    /// <summary>The runtime's cost attribute on <c>chat</c> spans, in USD: <c>agent_runtime.cost_usd</c>.</summary>
    public const string CostUsd = "agent_runtime.cost_usd";

    /// <summary>The <c>chat</c> operation.</summary>
    public const string ChatOperation = "chat";

    /// <summary>The <c>execute_tool</c> operation.</summary>
    public const string ExecuteToolOperation = "execute_tool";

    /// <summary>The <c>invoke_agent</c> operation.</summary>
    public const string InvokeAgentOperation = "invoke_agent";
}
