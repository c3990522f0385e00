using System.Text.Json;

namespace Agent.Worker.Tools;

/// <summary>
/// A tool the agent's model can call. Implementations are registered as <see cref="IAgentTool"/> singletons and
/// offered to the model by name; more can be registered without touching the loop.
/// </summary>
internal interface IAgentTool
{
    /// <summary>Gets the function name the model calls, e.g. <c>search_documents</c>.</summary>
    string Name { get; }

    /// <summary>Gets the description shown to the model.</summary>
    string Description { get; }

    /// <summary>Gets the JSON Schema (an <c>object</c> schema) of the arguments.</summary>
    JsonElement ParametersSchema { get; }

    /// <summary>
    /// Runs the tool once. A call interrupted by a crash may run again (at-least-once), so side-effecting tools must
    /// deduplicate on <see cref="ToolInvocation.IdempotencyKey"/>.
    /// </summary>
    /// <param name="arguments">The arguments the model sent (a JSON object; may miss or mistype fields).</param>
    /// <param name="invocation">Where the call comes from.</param>
    /// <param name="cancellationToken">Cancels the call (run cancelled, worker stopping, tool timeout).</param>
    /// <returns>The tool message content: JSON text the model reads.</returns>
    /// <exception cref="ToolArgumentException">The arguments do not fit the schema; reported back to the model.</exception>
    Task<string> InvokeAsync(JsonElement arguments, ToolInvocation invocation, CancellationToken cancellationToken);
}
