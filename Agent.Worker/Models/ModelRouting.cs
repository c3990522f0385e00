using System.Text.Json.Nodes;

namespace Agent.Worker.Models;

/// <summary>
/// Picks the model for a step: an assistant may name a cheaper <c>tool_selection_model</c> for the steps that
/// decide which tools to call, and a stronger <c>model</c> for the steps that answer from tool results.
/// </summary>
/// <remarks>
/// A step answers a fresh question (its last message is <c>human</c>): the model mostly has to pick a search, so the
/// tool-selection model runs it. A step that follows tool results (last message <c>tool</c>) writes the answer (or
/// asks for more tools), so the answer model runs it. Both are read from <c>config.configurable</c>, the run's
/// value winning over the assistant's.
/// </remarks>
internal static class ModelRouting
{
    /// <summary>The <c>config.configurable</c> key of the tool-selection model.</summary>
    public const string ToolSelectionModelKey = "tool_selection_model";

    /// <summary>Chooses the model for the next <c>agent</c> step.</summary>
    /// <param name="messages">The thread's messages before the step.</param>
    /// <param name="answerModel">The configured <c>model</c>, or null for the provider's default.</param>
    /// <param name="toolSelectionModel">The configured <c>tool_selection_model</c>, or null (then <paramref name="answerModel"/> runs every step).</param>
    /// <returns>The model id to ask for, or null for the provider's default.</returns>
    public static string? Choose(JsonArray messages, string? answerModel, string? toolSelectionModel)
    {
        if (toolSelectionModel is null)
        {
            return answerModel;
        }

        var last = messages.Count > 0 ? messages[^1]?["type"]?.GetValue<string>() : null;
        return last == "tool" ? answerModel : toolSelectionModel;
    }
}
