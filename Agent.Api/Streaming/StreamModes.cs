using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Wire;

namespace Agent.Api.Streaming;

/// <summary>
/// Parses and validates <c>stream_mode</c>: one <see cref="StreamMode"/> or a list (LangGraph Server API, RunCreateStateful).
/// </summary>
internal static class StreamModes
{
    /// <summary>Reads <c>stream_mode</c> from a body. Absent or null means <c>["values"]</c>.</summary>
    /// <param name="node">The field's value.</param>
    /// <returns>The modes, or an error message naming the problem.</returns>
    public static (IReadOnlyList<StreamMode> Modes, string? Error) Parse(JsonNode? node)
    {
        var modes = new List<string>();
        switch (node)
        {
            case null:
                return ([StreamMode.Values], null);
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

        var unknown = modes.FirstOrDefault(m => !WireName.TryParse<StreamMode>(m, out _));
        if (unknown is not null)
        {
            return ([], $"stream_mode '{ApiRequest.Truncate(unknown)}' is not supported; supported: {string.Join(", ", WireName.All<StreamMode>())}.");
        }

        return (modes.Count == 0 ? [StreamMode.Values] : modes.Select(m => WireName.Parse<StreamMode>(m)).Distinct().ToList(), null);
    }

    /// <summary>Reads the <c>stream_mode</c> query parameter of a join: a mode, or a JSON list as text.</summary>
    /// <param name="values">The query values.</param>
    /// <returns>The modes, or an error message.</returns>
    public static (IReadOnlyList<StreamMode> Modes, string? Error) ParseQuery(IReadOnlyList<string?> values)
    {
        if (values.Count == 0)
        {
            return ([StreamMode.Values], null);
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
