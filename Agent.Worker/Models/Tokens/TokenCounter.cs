using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace Agent.Worker.Models.Tokens;

/// <summary>
/// Counts tokens the way OpenAI's models do, with the tiktoken encodings of Microsoft.ML.Tokenizers: what the offline
/// model reports as its usage, and the pre-flight estimates of a call's input tokens (run budgets, shared rate limits).
/// </summary>
/// <remarks>
/// <para>
/// The encoding follows the model name (<see cref="EncodingFor"/>): <c>o200k_base</c> for gpt-4o, gpt-4.1, gpt-4.5,
/// gpt-5 and the o-series (o1, o3, o4, ...); <c>cl100k_base</c> for gpt-4, gpt-3.5 and every other name, the offline
/// model's and unknown models' included (other providers' tokenizers differ anyway; cl100k is the common yardstick).
/// The vocabularies ship in the Microsoft.ML.Tokenizers.Data.O200kBase and .Cl100kBase packages and are loaded once per
/// process, on first use.
/// </para>
/// <para>
/// A prompt also pays for each message's framing: <see cref="TokensPerMessage"/> per message and
/// <see cref="TokensPerReply"/> for the reply's priming, as OpenAI's cookbook counts Chat Completions prompts ("How to
/// count tokens with tiktoken"). Tool declarations are counted as their JSON; the provider's own rendering of them
/// differs a little, so a prompt with tools is an estimate within a few percent, not the provider's exact figure.
/// </para>
/// </remarks>
internal static class TokenCounter
{
    /// <summary>The encoding of gpt-4o, gpt-4.1, gpt-4.5, gpt-5 and the o-series.</summary>
    public const string O200kBase = "o200k_base";

    /// <summary>The encoding of gpt-4 and gpt-3.5, and the default for every other model.</summary>
    public const string Cl100kBase = "cl100k_base";

    /// <summary>The framing tokens each message adds to a prompt (3, OpenAI cookbook).</summary>
    public const int TokensPerMessage = 3;

    /// <summary>The tokens that prime the reply, once per prompt (3, OpenAI cookbook).</summary>
    public const int TokensPerReply = 3;

    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding(O200kBase));
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding(Cl100kBase));

    // Name prefixes of the models that use o200k_base (OpenAI's model pages; tiktoken's model-to-encoding table).
    private static readonly string[] O200kPrefixes = ["gpt-4o", "chatgpt-4o", "gpt-4.1", "gpt-4.5", "gpt-5", "gpt-oss"];

    /// <summary>Names the encoding a model's text is counted with.</summary>
    /// <param name="model">The model name, e.g. <c>gpt-4o-mini</c>; null or unknown names get <c>cl100k_base</c>.</param>
    /// <returns><see cref="O200kBase"/> or <see cref="Cl100kBase"/>.</returns>
    public static string EncodingFor(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return Cl100kBase;
        }

        // A provider prefix ("openai/gpt-4o", LiteLLM and OpenRouter style) does not change the model.
        var name = model[(model.LastIndexOf('/') + 1)..];
        if (O200kPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
        {
            return O200kBase;
        }

        // The o-series: o1, o1-mini, o3, o4-mini, ...
        return name.Length >= 2 && (name[0] is 'o' or 'O') && char.IsAsciiDigit(name[1]) ? O200kBase : Cl100kBase;
    }

    /// <summary>Counts the tokens of a text.</summary>
    /// <param name="text">Any text; <see langword="null"/> counts as empty.</param>
    /// <param name="model">The model whose encoding counts it (see <see cref="EncodingFor"/>).</param>
    /// <returns>The tokens; 0 for empty text.</returns>
    public static long Count(string? text, string? model) =>
        string.IsNullOrEmpty(text) ? 0 : TokenizerFor(model).CountTokens(text);

    /// <summary>
    /// Counts the input tokens of a prompt: the instructions, every message's text, tool calls (name and JSON
    /// arguments) and tool results, the offered tools' names, descriptions and JSON schemas, and the framing.
    /// </summary>
    /// <param name="messages">The conversation sent to the model.</param>
    /// <param name="options">The request options, or <see langword="null"/>.</param>
    /// <param name="model">The model whose encoding counts it; default is <paramref name="options"/>' model.</param>
    /// <returns>The input tokens.</returns>
    public static long CountPrompt(IEnumerable<ChatMessage> messages, ChatOptions? options, string? model = null)
    {
        var tokenizer = TokenizerFor(model ?? options?.ModelId);
        long tokens = TokensPerReply;
        if (!string.IsNullOrEmpty(options?.Instructions))
        {
            tokens += TokensPerMessage + tokenizer.CountTokens(options.Instructions);
        }

        foreach (var message in messages)
        {
            tokens += TokensPerMessage;
            foreach (var content in message.Contents)
            {
                tokens += content switch
                {
                    TextContent text => tokenizer.CountTokens(text.Text),
                    FunctionCallContent call => tokenizer.CountTokens(call.Name) + tokenizer.CountTokens(Json(call.Arguments)),
                    FunctionResultContent result => tokenizer.CountTokens(ResultText(result)),
                    _ => 0,
                };
            }
        }

        foreach (var tool in options?.Tools ?? [])
        {
            tokens += tokenizer.CountTokens(tool.Name) + tokenizer.CountTokens(tool.Description)
                + (tool is AIFunctionDeclaration function ? tokenizer.CountTokens(function.JsonSchema.GetRawText()) : 0);
        }

        return tokens;
    }

    /// <summary>
    /// Counts the input tokens of a prompt in LangChain message form (what the run executor holds before a call):
    /// the system prompt, each message's <c>content</c> and <c>tool_calls</c> as JSON, and the framing.
    /// </summary>
    /// <param name="prompt">The messages.</param>
    /// <param name="systemPrompt">The system prompt.</param>
    /// <param name="model">The model whose encoding counts it.</param>
    /// <returns>The input tokens.</returns>
    public static long CountPrompt(JsonArray prompt, string systemPrompt, string? model)
    {
        var tokenizer = TokenizerFor(model);
        long tokens = TokensPerReply + TokensPerMessage + tokenizer.CountTokens(systemPrompt);
        foreach (var message in prompt.OfType<JsonObject>())
        {
            tokens += TokensPerMessage;
            tokens += message["content"] switch
            {
                JsonValue value when value.TryGetValue<string>(out var text) => tokenizer.CountTokens(text),
                { } other => tokenizer.CountTokens(other.ToJsonString()),
                null => 0,
            };
            if (message["tool_calls"] is { } toolCalls)
            {
                tokens += tokenizer.CountTokens(toolCalls.ToJsonString());
            }
        }

        return tokens;
    }

    /// <summary>Returns a tool result as the text a model reads.</summary>
    /// <param name="result">The tool result.</param>
    /// <returns>The result string, the JSON of a structured result, or the exception message of a failed call.</returns>
    public static string ResultText(FunctionResultContent result) => result.Result switch
    {
        string text => text,
        JsonElement element => element.GetRawText(),
        null => result.Exception?.Message ?? string.Empty,
        var other => Json(other),
    };

    private static Tokenizer TokenizerFor(string? model) => EncodingFor(model) == O200kBase ? O200k.Value : Cl100k.Value;

    private static string Json(object? value) =>
        value is null ? string.Empty : JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions);
}
