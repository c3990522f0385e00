using System.Text.Json.Nodes;
using Agent.Api.Http;

namespace Agent.Api.Runs;

/// <summary>
/// Normalises <c>input.messages</c> to LangChain's serialized form: accepts <c>{"role", "content"}</c> (OpenAI
/// style), <c>{"type", "content"}</c> (LangChain style) and <c>["user", "text"]</c> tuples; gives each an <c>id</c>.
/// </summary>
internal static class InputMessageNormalizer
{
    /// <summary>Normalises the messages.</summary>
    /// <param name="node">The <c>input.messages</c> value.</param>
    /// <param name="limits">
    /// The bounds: at most <see cref="ApiLimits.MaxMessages"/> messages of at most <see cref="ApiLimits.MaxMessageChars"/>
    /// characters each. Default <see cref="ApiLimits.Default"/>.
    /// </param>
    /// <returns>The messages, or a 422 detail.</returns>
    public static (JsonArray? Messages, string? Error) Normalize(JsonNode? node, ApiLimits? limits = null)
    {
        limits ??= ApiLimits.Default;
        if (node is null)
        {
            return ([], null);
        }

        if (node is not JsonArray array)
        {
            return (null, "input.messages must be a list.");
        }

        if (array.Count > limits.MaxMessages)
        {
            return (null, $"input.messages has {array.Count} messages; at most {limits.MaxMessages} are accepted.");
        }

        var result = new JsonArray();
        for (var i = 0; i < array.Count; i++)
        {
            var (message, error) = NormalizeOne(array[i], i, limits.MaxMessageChars);
            if (error is not null)
            {
                return (null, error);
            }

            result.Add(message);
        }

        return (result, null);
    }

    private static (JsonObject? Message, string? Error) NormalizeOne(JsonNode? node, int index, int maxContentLength)
    {
        string? role;
        JsonNode? content;
        JsonObject? source = null;
        switch (node)
        {
            case JsonArray { Count: 2 } tuple when tuple[0] is JsonValue r && r.TryGetValue<string>(out var tupleRole):
                role = tupleRole;
                content = tuple[1];
                break;
            case JsonObject obj:
                source = obj;
                role = (obj["role"] ?? obj["type"]) is JsonValue v && v.TryGetValue<string>(out var objectRole) ? objectRole : null;
                content = obj["content"];
                break;
            default:
                return (null, $"input.messages[{index}] must be an object with role and content.");
        }

        var type = role switch
        {
            "user" or "human" => "human",
            "assistant" or "ai" => "ai",
            "system" => "system",
            "tool" => "tool",
            _ => null,
        };
        if (type is null)
        {
            return (null, $"input.messages[{index}].role must be one of user, assistant, system, tool; got '{ApiRequest.Truncate(role)}'.");
        }

        var length = content switch
        {
            JsonValue text when text.TryGetValue<string>(out var s) => s.Length,
            JsonArray parts when parts.All(p => p is JsonObject) => parts.ToJsonString().Length,
            _ => -1,
        };
        if (length < 0)
        {
            return (null, $"input.messages[{index}].content must be a string or a list of content parts.");
        }

        if (length > maxContentLength)
        {
            return (null, $"input.messages[{index}].content is {length} characters long; at most {maxContentLength} are accepted.");
        }

        var message = new JsonObject
        {
            ["type"] = type,
            ["content"] = content!.DeepClone(),
            ["id"] = source?["id"] is JsonValue id && id.TryGetValue<string>(out var givenId) ? givenId : Guid.NewGuid().ToString(),
            ["additional_kwargs"] = new JsonObject(),
            ["response_metadata"] = new JsonObject(),
        };
        if (type == "tool")
        {
            if (source?["tool_call_id"] is not JsonValue call || !call.TryGetValue<string>(out var callId))
            {
                return (null, $"input.messages[{index}] is a tool message without tool_call_id.");
            }

            message["tool_call_id"] = callId;
        }

        return (message, null);
    }
}
