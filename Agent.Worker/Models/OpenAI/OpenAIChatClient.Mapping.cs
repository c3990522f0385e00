using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using ChatFinishReason = Microsoft.Extensions.AI.ChatFinishReason;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;
using OpenAIChatFinishReason = OpenAI.Chat.ChatFinishReason;
using OpenAIChatMessage = OpenAI.Chat.ChatMessage;

namespace Agent.Worker.Models.OpenAI;

/// <summary>Maps between Microsoft.Extensions.AI types and the OpenAI SDK's Chat Completions types.</summary>
internal sealed partial class OpenAIChatClient
{
    private static readonly JsonSerializerOptions JsonOptions = AIJsonUtilities.DefaultOptions;

    /// <summary>
    /// Maps the conversation: system and user text; assistant text with its tool calls; each
    /// <see cref="FunctionResultContent"/> as its own tool message carrying the <c>tool_call_id</c>. Content that
    /// carries nothing the API accepts (usage, reasoning) is left out.
    /// </summary>
    /// <exception cref="NotSupportedException">
    /// A message holds images, files or other media, a tool message holds bare text, or a role is unknown.
    /// </exception>
    internal static List<OpenAIChatMessage> ToOpenAIMessages(IEnumerable<ChatMessage> messages)
    {
        var result = new List<OpenAIChatMessage>();
        foreach (var message in messages)
        {
            var text = new StringBuilder();
            var toolCalls = new List<ChatToolCall>();
            foreach (var content in message.Contents)
            {
                switch (content)
                {
                    case TextContent textContent:
                        text.Append(textContent.Text);
                        break;
                    case FunctionCallContent call:
                        toolCalls.Add(ChatToolCall.CreateFunctionToolCall(
                            call.CallId,
                            call.Name,
                            BinaryData.FromString(
                                JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>(), JsonOptions))));
                        break;
                    case FunctionResultContent functionResult:
                        result.Add(new ToolChatMessage(functionResult.CallId, ResultText(functionResult)));
                        break;
                    case DataContent or UriContent or HostedFileContent:
                        throw new NotSupportedException(
                            $"The OpenAI adapter sends text only; a {message.Role} message holds {content.GetType().Name}.");
                    default:
                        break;
                }
            }

            if (message.Role == ChatRole.System)
            {
                result.Add(new SystemChatMessage(text.ToString()));
            }
            else if (message.Role == ChatRole.User)
            {
                result.Add(new UserChatMessage(text.ToString()));
            }
            else if (message.Role == ChatRole.Assistant)
            {
                if (toolCalls.Count == 0)
                {
                    result.Add(new AssistantChatMessage(text.ToString()));
                }
                else
                {
                    var assistant = new AssistantChatMessage(toolCalls);
                    if (text.Length > 0)
                    {
                        assistant.Content.Add(ChatMessageContentPart.CreateTextPart(text.ToString()));
                    }

                    result.Add(assistant);
                }
            }
            else if (message.Role == ChatRole.Tool)
            {
                // The API ties each tool message to a call id, which only FunctionResultContent carries.
                if (text.Length > 0)
                {
                    throw new NotSupportedException("A tool message must carry its result as FunctionResultContent, not text.");
                }
            }
            else
            {
                throw new NotSupportedException($"The OpenAI adapter does not know the role '{message.Role}'.");
            }
        }

        return result;
    }

    /// <summary>
    /// Maps the call's options: tools (function declarations only), tool mode, temperature, top-p, stop
    /// sequences and the output token limit; unset values stay unset so the server's defaults apply.
    /// </summary>
    /// <exception cref="NotSupportedException">A tool is not an <see cref="AIFunctionDeclaration"/>.</exception>
    internal static ChatCompletionOptions ToOpenAIOptions(ChatOptions? options)
    {
        // The SDK writes the model and the stream flags into this object, so every call gets its own.
        var result = new ChatCompletionOptions();
        if (options is null)
        {
            return result;
        }

        foreach (var tool in options.Tools ?? [])
        {
            if (tool is not AIFunctionDeclaration function)
            {
                throw new NotSupportedException($"The OpenAI adapter offers function tools only, not {tool.GetType().Name}.");
            }

            result.Tools.Add(ChatTool.CreateFunctionTool(
                function.Name,
                string.IsNullOrEmpty(function.Description) ? null : function.Description,
                BinaryData.FromString(function.JsonSchema.GetRawText())));
        }

        if (result.Tools.Count > 0)
        {
            result.ToolChoice = options.ToolMode switch
            {
                NoneChatToolMode => ChatToolChoice.CreateNoneChoice(),
                RequiredChatToolMode { RequiredFunctionName: { } name } => ChatToolChoice.CreateFunctionChoice(name),
                RequiredChatToolMode => ChatToolChoice.CreateRequiredChoice(),
                AutoChatToolMode => ChatToolChoice.CreateAutoChoice(),
                _ => null,
            };
            result.AllowParallelToolCalls = options.AllowMultipleToolCalls;
        }

        result.Temperature = options.Temperature;
        result.TopP = options.TopP;
        result.MaxOutputTokenCount = options.MaxOutputTokens;
        foreach (var stop in options.StopSequences ?? [])
        {
            result.StopSequences.Add(stop);
        }

        return result;
    }

    /// <summary>Maps the SDK's token usage; cached input tokens are a subset of the input tokens.</summary>
    internal static UsageDetails ToUsageDetails(ChatTokenUsage usage) => new()
    {
        InputTokenCount = usage.InputTokenCount,
        OutputTokenCount = usage.OutputTokenCount,
        TotalTokenCount = usage.TotalTokenCount,
        CachedInputTokenCount = usage.InputTokenDetails?.CachedTokenCount,
        ReasoningTokenCount = usage.OutputTokenDetails?.ReasoningTokenCount,
    };

    /// <summary>Maps the SDK's finish reason; the legacy <c>function_call</c> counts as a tool call.</summary>
    internal static ChatFinishReason? ToFinishReason(OpenAIChatFinishReason? finishReason) => finishReason switch
    {
        OpenAIChatFinishReason.Stop => ChatFinishReason.Stop,
        OpenAIChatFinishReason.Length => ChatFinishReason.Length,
        OpenAIChatFinishReason.ContentFilter => ChatFinishReason.ContentFilter,
        OpenAIChatFinishReason.ToolCalls or OpenAIChatFinishReason.FunctionCall => ChatFinishReason.ToolCalls,
        _ => null,
    };

    /// <summary>Parses a tool call's JSON arguments into name/value pairs (values are <see cref="JsonElement"/>s).</summary>
    private static Dictionary<string, object?>? ParseArguments(string json) =>
        string.IsNullOrWhiteSpace(json)
            ? []
            : JsonSerializer.Deserialize<Dictionary<string, object?>>(json, JsonOptions);

    /// <summary>Renders a tool result as the tool message's text: strings as they are, anything else as JSON.</summary>
    private static string ResultText(FunctionResultContent functionResult) => functionResult.Result switch
    {
        null => string.Empty,
        string text => text,
        JsonElement element => element.GetRawText(),
        var value => JsonSerializer.Serialize(value, JsonOptions),
    };
}
