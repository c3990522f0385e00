using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Agent.Worker.Tools;

/// <summary>
/// A tool written against the worker's tool contract (JSON arguments, a <see cref="ToolInvocation"/>, text result)
/// that is also a Microsoft.Extensions.AI <see cref="AIFunction"/>, so it is registered like any other with
/// <c>AddAgentTool</c>. Its <c>JsonSchema</c> is <see cref="ParametersSchema"/>; invoked as a
/// function, it reads its arguments back as a JSON object and its invocation from the call's
/// <see cref="AgentToolContext"/>.
/// </summary>
internal abstract class AgentToolFunction : AIFunction, IAgentTool
{
    /// <inheritdoc />
    public abstract JsonElement ParametersSchema { get; }

    /// <inheritdoc />
    public override JsonElement JsonSchema => ParametersSchema;

    /// <inheritdoc />
    public abstract Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken);

    /// <inheritdoc />
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.SerializeToElement<IDictionary<string, object?>>(arguments);
        var context = arguments.Context?.TryGetValue(typeof(AgentToolContext), out var value) == true && value is AgentToolContext given
            ? given
            : AgentToolContext.Current ?? new AgentToolContext(Guid.Empty, 0, string.Empty);
        return await InvokeAsync(
            json, new ToolInvocation(context.RunId, context.Step, context.ToolCallId) { Collections = context.Collections }, cancellationToken);
    }
}
