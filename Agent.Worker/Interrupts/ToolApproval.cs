using System.Text.Json.Nodes;

namespace Agent.Worker.Interrupts;

/// <summary>
/// The review of tool calls that need a human's approval before they run, in the shape of LangChain's
/// <c>HumanInTheLoopMiddleware</c> (langchain 1.x <c>HITLRequest</c> / <c>HITLResponse</c>), which agent-chat-ui renders.
/// </summary>
/// <remarks>
/// The interrupt value is <c>{"action_requests": [{"name", "args", "description"}], "review_configs": [{"action_name",
/// "allowed_decisions": ["approve", "edit", "reject"]}]}</c>, one request per call in the message's order. The resume
/// value is <c>{"decisions": [...]}</c> in the same order, each <c>{"type": "approve"}</c>, <c>{"type": "edit",
/// "edited_action": {"name", "args"}}</c> or <c>{"type": "reject", "message"?}</c>; a bare array of decisions, or
/// <c>true</c> / <c>false</c> / <c>"approve"</c> / <c>"reject"</c> for every call, is read too. A decision that cannot be
/// read rejects its call, with the reason as the tool's error, so a tool never runs without a clear approval.
/// </remarks>
internal static class ToolApproval
{
    /// <summary>Builds the interrupt value for the calls that need approval.</summary>
    /// <param name="calls">The calls: id, tool name, arguments.</param>
    /// <returns>The <c>HITLRequest</c> object.</returns>
    public static JsonObject Request(IEnumerable<(string Id, string Name, JsonNode? Args)> calls)
    {
        var requests = new JsonArray();
        var configs = new JsonArray();
        foreach (var (_, name, args) in calls)
        {
            requests.Add(new JsonObject
            {
                ["name"] = name,
                ["args"] = args?.DeepClone() ?? new JsonObject(),
                ["description"] = $"Tool execution requires approval\n\nTool: {name}\nArgs: {args?.ToJsonString() ?? "{}"}",
            });
            configs.Add(new JsonObject { ["action_name"] = name, ["allowed_decisions"] = new JsonArray("approve", "edit", "reject") });
        }

        return new JsonObject { ["action_requests"] = requests, ["review_configs"] = configs };
    }

    /// <summary>Reads the decision for the <paramref name="index"/>-th call from the resume value.</summary>
    /// <param name="resume">The resume value.</param>
    /// <param name="index">The call's position among the calls under review.</param>
    /// <returns>The decision.</returns>
    public static Decision Read(JsonNode? resume, int index)
    {
        var decision = resume switch
        {
            JsonObject o when o["decisions"] is JsonArray list => index < list.Count ? list[index] : null,
            JsonArray list => index < list.Count ? list[index] : null,
            _ => resume,
        };
        return decision switch
        {
            JsonValue v when v.TryGetValue<bool>(out var approved) => approved ? Decision.Approve : Decision.Reject(null),
            JsonValue v when v.TryGetValue<string>(out var type) && type == "approve" => Decision.Approve,
            JsonValue v when v.TryGetValue<string>(out var type) && type == "reject" => Decision.Reject(null),
            JsonObject o when Type(o) == "approve" => Decision.Approve,
            JsonObject o when Type(o) == "reject" => Decision.Reject(o["message"] is JsonValue m && m.TryGetValue<string>(out var text) ? text : null),
            JsonObject o when Type(o) == "edit" && o["edited_action"]?["args"] is JsonObject args => Decision.Edit(args),
            null => Decision.Reject($"The review gave no decision for call {index + 1}."),
            _ => Decision.Reject($"The review's decision for call {index + 1} is not approve, edit (with edited_action.args) or reject: {decision.ToJsonString()}."),
        };
    }

    private static string? Type(JsonObject decision) =>
        decision["type"] is JsonValue t && t.TryGetValue<string>(out var type) ? type : null;

    /// <summary>A reviewer's decision on one tool call.</summary>
    /// <param name="Runs">Whether the call runs.</param>
    /// <param name="Args">The edited arguments, or null to keep the model's.</param>
    /// <param name="Message">Why it was rejected: the tool message the model reads, or null for the default text.</param>
    internal sealed record Decision(bool Runs, JsonObject? Args, string? Message)
    {
        /// <summary>Gets the approval.</summary>
        public static Decision Approve { get; } = new(true, null, null);

        /// <summary>An approval with edited arguments.</summary>
        /// <param name="args">The arguments to run with.</param>
        /// <returns>The decision.</returns>
        public static Decision Edit(JsonObject args) => new(true, (JsonObject)args.DeepClone(), null);

        /// <summary>A rejection.</summary>
        /// <param name="message">The reason, or null.</param>
        /// <returns>The decision.</returns>
        public static Decision Reject(string? message) => new(false, null, message);
    }
}
