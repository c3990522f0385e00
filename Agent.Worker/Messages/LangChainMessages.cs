using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Agent.Worker.Messages;

/// <summary>
/// Converts between thread state messages in LangChain's serialized form (<c>type</c> human/ai/tool/system,
/// <c>content</c>, <c>tool_calls</c>, <c>tool_call_id</c>, <c>id</c>, <c>usage_metadata</c>) and
/// Microsoft.Extensions.AI <see cref="ChatMessage"/>s the model port speaks.
/// </summary>
internal static class LangChainMessages
{
    /// <summary>The result given to the model for a tool call whose run was interrupted before the tool returned.</summary>
    public const string InterruptedToolResult = "Error: this tool call was interrupted before it returned (its run was cancelled).";

    /// <summary>Converts state messages to chat messages for a model call.</summary>
    /// <param name="messages">The thread's messages.</param>
    /// <returns>The chat messages, in order.</returns>
    public static List<ChatMessage> ToChatMessages(JsonArray messages)
    {
        var result = new List<ChatMessage>(messages.Count);
        var answered = messages.OfType<JsonObject>()
            .Where(m => m["type"]?.GetValue<string>() == "tool")
            .Select(m => m["tool_call_id"]?.GetValue<string>())
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        foreach (var node in messages)
        {
            if (node is not JsonObject message)
            {
                continue;
            }

            var type = message["type"]?.GetValue<string>();
            var text = ContentText(message["content"]);
            switch (type)
            {
                case "human":
                    result.Add(new ChatMessage(ChatRole.User, text));
                    break;
                case "system":
                    result.Add(new ChatMessage(ChatRole.System, text));
                    break;
                case "ai":
                    var contents = new List<AIContent>();
                    if (text.Length > 0)
                    {
                        contents.Add(new TextContent(text));
                    }

                    foreach (var call in ToolCalls(message))
                    {
                        contents.Add(new FunctionCallContent(call.Id, call.Name, call.Arguments));
                    }

                    result.Add(new ChatMessage(ChatRole.Assistant, contents));

                    // A run cancelled between a tool call and its result (multitask interrupt) leaves the call
                    // unanswered; providers refuse such a conversation, so it is answered as interrupted.
                    foreach (var call in ToolCalls(message).Where(c => !answered.Contains(c.Id)))
                    {
                        result.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.Id, InterruptedToolResult)]));
                    }

                    break;
                case "tool":
                    var callId = message["tool_call_id"]?.GetValue<string>() ?? string.Empty;
                    result.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(callId, text)]));
                    break;
                default:
                    break;
            }
        }

        return result;
    }

    /// <summary>Reads the tool calls of an <c>ai</c> message.</summary>
    /// <param name="message">The message.</param>
    /// <returns>Each call's id, name and arguments.</returns>
    public static IEnumerable<(string Id, string Name, Dictionary<string, object?> Arguments)> ToolCalls(JsonObject message)
    {
        if (message["tool_calls"] is not JsonArray calls)
        {
            yield break;
        }

        foreach (var call in calls.OfType<JsonObject>())
        {
            var arguments = call["args"] is JsonObject args
                ? args.ToDictionary(p => p.Key, p => (object?)p.Value?.DeepClone())
                : [];
            yield return (call["id"]?.GetValue<string>() ?? string.Empty, call["name"]?.GetValue<string>() ?? string.Empty, arguments);
        }
    }

    /// <summary>Builds the <c>ai</c> message of a model response.</summary>
    /// <param name="id">The message id, stable across retries of the step.</param>
    /// <param name="response">The model response.</param>
    /// <param name="provider">The provider name, e.g. <c>openai</c> or <c>offline</c>.</param>
    /// <returns>The LangChain <c>ai</c> message.</returns>
    public static JsonObject FromResponse(string id, ChatResponse response, string provider)
    {
        var text = string.Concat(response.Messages.SelectMany(m => m.Contents).OfType<TextContent>().Select(t => t.Text));
        var toolCalls = new JsonArray();
        foreach (var call in response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>())
        {
            toolCalls.Add(new JsonObject
            {
                ["name"] = call.Name,
                ["args"] = JsonSerializer.SerializeToNode(call.Arguments ?? new Dictionary<string, object?>()),
                ["id"] = call.CallId,
                ["type"] = "tool_call",
            });
        }

        var responseMetadata = new JsonObject
        {
            ["model_name"] = response.ModelId,
            ["model_provider"] = provider,
            ["finish_reason"] = response.FinishReason?.Value,
        };
        foreach (var property in response.AdditionalProperties ?? [])
        {
            responseMetadata[property.Key] = JsonSerializer.SerializeToNode(property.Value);
        }

        var message = new JsonObject
        {
            ["type"] = "ai",
            ["id"] = id,
            ["content"] = text,
            ["tool_calls"] = toolCalls,
            ["invalid_tool_calls"] = new JsonArray(),
            ["additional_kwargs"] = new JsonObject(),
            ["response_metadata"] = responseMetadata,
            ["name"] = null,
        };
        if (response.Usage is { } usage)
        {
            message["usage_metadata"] = new JsonObject
            {
                ["input_tokens"] = usage.InputTokenCount ?? 0,
                ["output_tokens"] = usage.OutputTokenCount ?? 0,
                ["total_tokens"] = usage.TotalTokenCount ?? ((usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0)),
            };
        }

        return message;
    }

    /// <summary>Builds a <c>tool</c> message.</summary>
    /// <param name="id">The message id.</param>
    /// <param name="toolCallId">The tool call it answers.</param>
    /// <param name="name">The tool name.</param>
    /// <param name="content">The tool's output.</param>
    /// <param name="isError">Whether the output is an error report.</param>
    /// <returns>The LangChain <c>tool</c> message.</returns>
    public static JsonObject ToolMessage(string id, string toolCallId, string name, string content, bool isError) => new()
    {
        ["type"] = "tool",
        ["id"] = id,
        ["tool_call_id"] = toolCallId,
        ["name"] = name,
        ["content"] = content,
        ["status"] = isError ? "error" : "success",
        ["additional_kwargs"] = new JsonObject(),
        ["response_metadata"] = new JsonObject(),
    };

    /// <summary>Reads a LangChain <c>content</c>: a string, or a list of parts whose <c>text</c> parts are joined.</summary>
    /// <param name="content">The content node.</param>
    /// <returns>The text.</returns>
    public static string ContentText(JsonNode? content) => content switch
    {
        JsonValue value when value.TryGetValue<string>(out var s) => s,
        JsonArray parts => string.Concat(parts.Select(p => p is JsonObject o ? o["text"]?.GetValue<string>() : p?.GetValue<string>())),
        _ => string.Empty,
    };
}
