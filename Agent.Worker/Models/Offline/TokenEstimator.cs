using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Agent.Worker.Models.Offline;

/// <summary>
/// Estimates token counts without a tokenizer: <c>ceil(characters / 4)</c>, OpenAI's rule of thumb that one token is
/// about four characters of English text ("What are tokens and how to count them", help.openai.com). The offline
/// model reports these estimates as its usage so that usage, cost (zero for this model) and limits work the same
/// way as with a hosted model.
/// </summary>
internal static class TokenEstimator
{
    /// <summary>The characters per token of the estimate (4).</summary>
    public const int CharactersPerToken = 4;

    /// <summary>Estimates the tokens of <paramref name="text"/>.</summary>
    /// <param name="text">Any text; <see langword="null"/> counts as empty.</param>
    /// <returns><c>ceil(text.Length / 4)</c> tokens; 0 for empty text.</returns>
    public static long Estimate(string? text) => string.IsNullOrEmpty(text) ? 0 : (text.Length + CharactersPerToken - 1) / CharactersPerToken;

    /// <summary>
    /// Estimates the tokens of a prompt: the instructions, every message's text, tool calls (name and JSON
    /// arguments) and tool results, and the offered tools' names, descriptions and JSON schemas.
    /// </summary>
    /// <param name="messages">The conversation sent to the model.</param>
    /// <param name="options">The request options, or <see langword="null"/>.</param>
    /// <returns>The estimated input tokens.</returns>
    public static long EstimatePrompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var characters = (long)(options?.Instructions?.Length ?? 0);
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                characters += content switch
                {
                    TextContent text => text.Text.Length,
                    FunctionCallContent call => call.Name.Length + Json(call.Arguments).Length,
                    FunctionResultContent result => ResultText(result).Length,
                    _ => 0,
                };
            }
        }

        foreach (var tool in options?.Tools ?? [])
        {
            characters += tool.Name.Length + tool.Description.Length
                + (tool is AIFunctionDeclaration function ? function.JsonSchema.GetRawText().Length : 0);
        }

        return (characters + CharactersPerToken - 1) / CharactersPerToken;
    }

    /// <summary>Returns a tool result as the text a model would read.</summary>
    /// <param name="result">The tool result.</param>
    /// <returns>The result string, the JSON of a structured result, or the exception message of a failed call.</returns>
    public static string ResultText(FunctionResultContent result) => result.Result switch
    {
        string text => text,
        JsonElement element => element.GetRawText(),
        null => result.Exception?.Message ?? string.Empty,
        var other => Json(other),
    };

    private static string Json(object? value) =>
        value is null ? string.Empty : JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions);
}
