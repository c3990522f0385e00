using System.Globalization;
using System.Text.Json;
using Agent.Worker.Tools;

namespace Agent.Worker.Retrieval;

/// <summary>
/// Reads the retrieval tools' arguments from the model's JSON, turning every misfit into a
/// <see cref="ToolArgumentException"/> whose message the model can act on.
/// </summary>
internal static class RetrievalToolArguments
{
    /// <summary>Checks that the arguments are a JSON object.</summary>
    /// <param name="arguments">The arguments the model sent.</param>
    /// <exception cref="ToolArgumentException">The arguments are not an object.</exception>
    public static void RequireObject(JsonElement arguments)
    {
        if (arguments.ValueKind != JsonValueKind.Object)
        {
            throw new ToolArgumentException($"The arguments must be a JSON object, not {Describe(arguments.ValueKind)}.");
        }
    }

    /// <summary>Reads a required, non-blank string property.</summary>
    /// <param name="arguments">The arguments object.</param>
    /// <param name="name">The property name.</param>
    /// <returns>The string, trimmed.</returns>
    /// <exception cref="ToolArgumentException">The property is missing, not a string, or blank.</exception>
    public static string GetRequiredString(JsonElement arguments, string name)
    {
        if (!arguments.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new ToolArgumentException($"'{name}' is required.");
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new ToolArgumentException($"'{name}' must be a string, not {Describe(value.ValueKind)}.");
        }

        var text = value.GetString()!.Trim();
        return text.Length > 0 ? text : throw new ToolArgumentException($"'{name}' must not be empty.");
    }

    /// <summary>
    /// Reads an optional integer property within bounds; an integral JSON number or a string holding one is accepted
    /// (models sometimes quote numbers).
    /// </summary>
    /// <param name="arguments">The arguments object.</param>
    /// <param name="name">The property name.</param>
    /// <param name="defaultValue">The value when the property is missing or null.</param>
    /// <param name="minimum">The smallest allowed value.</param>
    /// <param name="maximum">The largest allowed value.</param>
    /// <returns>The value.</returns>
    /// <exception cref="ToolArgumentException">The property is not an integer or is out of bounds.</exception>
    public static long GetOptionalInteger(JsonElement arguments, string name, long defaultValue, long minimum, long maximum)
    {
        if (!arguments.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return defaultValue;
        }

        var parsed = value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetInt64(out var number) => number,
            JsonValueKind.Number when value.TryGetDouble(out var real) && real == Math.Floor(real) && Math.Abs(real) < 1e15 => (long)real,
            JsonValueKind.String when long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                => number,
            _ => (long?)null,
        };

        if (parsed is not { } result)
        {
            throw new ToolArgumentException($"'{name}' must be an integer from {minimum} to {maximum}, not {value.GetRawText()}.");
        }

        return result >= minimum && result <= maximum
            ? result
            : throw new ToolArgumentException($"'{name}' must be from {minimum} to {maximum}, not {result}.");
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
