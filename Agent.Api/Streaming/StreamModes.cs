using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Api.Http;

namespace Agent.Api.Streaming;

/// <summary>
/// Parses and validates <c>stream_mode</c>: one mode or a list (LangGraph Server API, RunCreateStateful).
/// </summary>
internal static class StreamModes
{
    /// <summary>Full state after each step.</summary>
    public const string Values = "values";

    /// <summary>Each node's update, <c>{"node": {"messages": [...]}}</c>.</summary>
    public const string Updates = "updates";

    /// <summary>
    /// Messages as <c>[chunk, metadata]</c> tuples, SSE event <c>messages</c>: model output as token chunks
    /// (<c>AIMessageChunk</c>, one stable id per message), other messages whole.
    /// </summary>
    public const string MessagesTuple = "messages-tuple";

    /// <summary>Legacy messages: <c>messages/metadata</c>, <c>messages/partial</c> (the message so far), <c>messages/complete</c>.</summary>
    public const string Messages = "messages";

    /// <summary>Our usage events: one <c>{"type": "model_call", ...}</c> per model call.</summary>
    public const string Custom = "custom";

    /// <summary>LangGraph debug events: <c>{type: task | task_result | checkpoint, timestamp, step, payload}</c>.</summary>
    public const string Debug = "debug";

    /// <summary>Task start and result payloads (the <c>task</c> and <c>task_result</c> payloads of <see cref="Debug"/>).</summary>
    public const string Tasks = "tasks";

    /// <summary>Checkpoint payloads: <c>{config, parent_config, values, metadata, next, tasks}</c>.</summary>
    public const string Checkpoints = "checkpoints";

    /// <summary>
    /// Gets the modes this server streams. Others (<c>events</c>: LangChain callback events) are refused with 422 rather
    /// than silently ignored.
    /// </summary>
    public static IReadOnlyList<string> Supported { get; } = [Values, Updates, MessagesTuple, Messages, Custom, Debug, Tasks, Checkpoints];

    /// <summary>Reads <c>stream_mode</c> from a body. Absent or null means <c>["values"]</c>.</summary>
    /// <param name="node">The field's value.</param>
    /// <returns>The modes, or an error message naming the problem.</returns>
    public static (IReadOnlyList<string> Modes, string? Error) Parse(JsonNode? node)
    {
        var modes = new List<string>();
        switch (node)
        {
            case null:
                return ([Values], null);
            case JsonValue value when value.TryGetValue<string>(out var single):
                modes.Add(single);
                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not JsonValue v || !v.TryGetValue<string>(out var mode))
                    {
                        return ([], "stream_mode must be a string or a list of strings.");
                    }

                    modes.Add(mode);
                }

                break;
            default:
                return ([], "stream_mode must be a string or a list of strings.");
        }

        var unknown = modes.FirstOrDefault(m => !Supported.Contains(m));
        if (unknown is not null)
        {
            return ([], $"stream_mode '{ApiRequest.Truncate(unknown)}' is not supported; supported: {string.Join(", ", Supported)}.");
        }

        return (modes.Count == 0 ? [Values] : modes.Distinct().ToList(), null);
    }

    /// <summary>Reads the <c>stream_mode</c> query parameter of a join: a mode, or a JSON list as text.</summary>
    /// <param name="values">The query values.</param>
    /// <returns>The modes, or an error message.</returns>
    public static (IReadOnlyList<string> Modes, string? Error) ParseQuery(IReadOnlyList<string?> values)
    {
        if (values.Count == 0)
        {
            return ([Values], null);
        }

        var array = new JsonArray();
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            if (value.StartsWith('['))
            {
                try
                {
                    if (JsonNode.Parse(value) is JsonArray list)
                    {
                        foreach (var item in list)
                        {
                            array.Add(item?.DeepClone());
                        }

                        continue;
                    }
                }
                catch (JsonException)
                {
                    return ([], "stream_mode must be a mode or a JSON list of modes.");
                }
            }

            array.Add(value);
        }

        return Parse(array);
    }
}
