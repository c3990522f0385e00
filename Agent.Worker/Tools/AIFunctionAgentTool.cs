using System.Text.Json;
using Agent.Worker.Models.Resilience;
using Microsoft.Extensions.AI;

namespace Agent.Worker.Tools;

/// <summary>
/// A Microsoft.Extensions.AI <see cref="AIFunction"/> on the worker's tool path (<see cref="IAgentTool"/>): its name,
/// description and JSON schema are offered to the model, the schema is checked before it runs
/// (<see cref="ToolArgumentValidator"/>), and it is invoked with the model's arguments, the worker's services and the
/// call's <see cref="AgentToolContext"/> (also in <see cref="AIFunctionArguments.Context"/>).
/// </summary>
/// <remarks>
/// An exception the function throws becomes a <see cref="ToolFailedException"/> (a tool error message for the model),
/// except cancellation and transient infrastructure failures (<see cref="TransientFailures.IsTransient"/>), which
/// propagate to the step's retries as for any tool. The result is sent as text: a string as is, anything else as JSON.
/// </remarks>
/// <param name="function">The function.</param>
/// <param name="services">The worker's services, given to the function (<see cref="AIFunctionArguments.Services"/>).</param>
internal sealed class AIFunctionAgentTool(AIFunction function, IServiceProvider services) : IAgentTool
{
    /// <summary>Gets the wrapped function.</summary>
    public AIFunction Function => function;

    /// <inheritdoc />
    public string Name => function.Name;

    /// <inheritdoc />
    public string Description => function.Description;

    /// <inheritdoc />
    public JsonElement ParametersSchema => function.JsonSchema;

    /// <inheritdoc />
    /// <exception cref="ToolFailedException">The function threw (not cancelled, not a transient failure).</exception>
    public async Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken)
    {
        var context = new AgentToolContext(invocation.RunId, invocation.Step, invocation.ToolCallId)
        {
            Collections = invocation.Collections,
            InterruptHandler = invocation.Interrupt,
        };
        var values = arguments.ValueKind == JsonValueKind.Object
            ? arguments.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)
            : new Dictionary<string, object?>(StringComparer.Ordinal);
        var functionArguments = new AIFunctionArguments(values)
        {
            Services = services,
            Context = new Dictionary<object, object?>
            {
                [AgentToolContext.IdempotencyKeyName] = context.IdempotencyKey,
                [typeof(AgentToolContext)] = context,
            },
        };
        AgentToolContext.Current = context;
        try
        {
            var result = await function.InvokeAsync(functionArguments, cancellationToken);
            return result switch
            {
                null => "null",
                string text => text,
                JsonElement { ValueKind: JsonValueKind.String } element => element.GetString()!,
                JsonElement element => element.GetRawText(),
                _ => JsonSerializer.Serialize(result, function.JsonSerializerOptions),
            };
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not ToolArgumentException and not Interrupts.NodeInterruptException
                                   && !TransientFailures.IsTransient(ex))
        {
            throw new ToolFailedException($"the tool '{Name}' failed: {ex.GetType().Name}: {ex.Message}", ex);
        }
        finally
        {
            AgentToolContext.Current = null;
        }
    }
}
