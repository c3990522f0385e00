using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Agent.Worker.Telemetry;

/// <summary>
/// Renders chat messages as the GenAI conventions' <c>gen_ai.input.messages</c>/<c>gen_ai.output.messages</c> JSON
/// (v1.41, gen-ai-input-messages.json / gen-ai-output-messages.json): <c>[{"role", "parts": [{"type": "text",
/// "content"} | {"type": "tool_call", "id", "name", "arguments"} | {"type": "tool_call_response", "id",
/// "response"}]}]</c>, output messages with <c>finish_reason</c>. Used only when content capture is enabled.
/// </summary>
internal static class GenAiMessages
{
    /// <summary>Renders request messages.</summary>
    /// <param name="messages">The messages.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(IEnumerable<ChatMessage> messages) =>
        new JsonArray([.. messages.Select(m => (JsonNode)Message(m, finishReason: null))]).ToJsonString();

    /// <summary>Renders a response's messages.</summary>
    /// <param name="response">The response.</param>
    /// <returns>The JSON text.</returns>
    public static string ToJson(ChatResponse response) =>
        new JsonArray([.. response.Messages.Select(m => (JsonNode)Message(m, response.FinishReason?.Value))]).ToJsonString();

    private static JsonObject Message(ChatMessage message, string? finishReason)
    {
        var parts = new JsonArray();
        foreach (var content in message.Contents)
        {
            JsonObject? part = content switch
            {
                TextContent text => new JsonObject { ["type"] = "text", ["content"] = text.Text },
                FunctionCallContent call => new JsonObject
                {
                    ["type"] = "tool_call",
                    ["id"] = call.CallId,
                    ["name"] = call.Name,
                    ["arguments"] = JsonSerializer.SerializeToNode(call.Arguments, AIJsonUtilities.DefaultOptions),
                },
                FunctionResultContent result => new JsonObject
                {
                    ["type"] = "tool_call_response",
                    ["id"] = result.CallId,
                    ["response"] = result.Result?.ToString(),
                },
                _ => null,
            };
            if (part is not null)
            {
                parts.Add(part);
            }
        }

        var json = new JsonObject { ["role"] = message.Role.Value, ["parts"] = parts };
        if (finishReason is not null)
        {
            json["finish_reason"] = finishReason;
        }

        return json;
    }
}
