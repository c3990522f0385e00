using System.Diagnostics;
using System.Text.Json;
using Agent.Telemetry;
using Agent.Worker.Tools;

namespace Agent.Worker.Telemetry;

/// <summary>
/// Wraps a tool with the GenAI <c>execute_tool {tool}</c> span (kind Internal; <c>gen_ai.tool.name</c>,
/// <c>gen_ai.tool.call.id</c>, <c>gen_ai.tool.type</c>, <c>gen_ai.conversation.id</c>), outside the agent loop. A
/// failure sets <c>error.type</c> and status Error and propagates unchanged. Arguments and results are not recorded.
/// </summary>
/// <param name="inner">The tool.</param>
internal sealed class TracedAgentTool(IAgentTool inner) : IAgentTool
{
    /// <inheritdoc />
    public string Name => inner.Name;

    /// <inheritdoc />
    public string Description => inner.Description;

    /// <inheritdoc />
    public JsonElement ParametersSchema => inner.ParametersSchema;

    /// <summary>Gets the wrapped tool.</summary>
    public IAgentTool Inner => inner;

    /// <inheritdoc />
    public async Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken)
    {
        using var activity = AgentTelemetry.Source.StartActivity(
            $"{GenAiAttributes.ExecuteToolOperation} {inner.Name}",
            ActivityKind.Internal,
            parentContext: default,
            tags:
            [
                new(GenAiAttributes.OperationName, GenAiAttributes.ExecuteToolOperation),
                new(GenAiAttributes.ToolName, inner.Name),
                new(GenAiAttributes.ToolCallId, invocation.ToolCallId),
                new(GenAiAttributes.ToolType, "function"),
                new(GenAiAttributes.ConversationId, RunTelemetry.Current?.ThreadId.ToString()),
                new(GenAiAttributes.RunId, invocation.RunId.ToString()),
            ]);
        try
        {
            return await inner.InvokeAsync(arguments, invocation, cancellationToken);
        }
        catch (Exception ex)
        {
            activity?.SetTag(GenAiAttributes.ErrorType, ex.GetType().FullName);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }
}
