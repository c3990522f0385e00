using System.Globalization;
using System.Text.Json;

namespace Agent.Worker.Tools;

/// <summary>
/// Checks a model's tool arguments against the tool's <see cref="IAgentTool.ParametersSchema"/> before the tool
/// runs, so no tool ever sees arguments its schema forbids (unknown properties included).
/// </summary>
/// <remarks>
/// <para>
/// Implements the JSON Schema (draft 2020-12, json-schema.org) keywords tool schemas use: <c>type</c> (a name or a
/// list), <c>properties</c>, <c>required</c>, <c>additionalProperties</c> (<c>false</c> or a schema),
/// <c>items</c>, <c>minItems</c>/<c>maxItems</c>, <c>minLength</c>/<c>maxLength</c> (in characters),
/// <c>minimum</c>/<c>maximum</c>, <c>exclusiveMinimum</c>/<c>exclusiveMaximum</c> and <c>enum</c>. Other keywords
/// (<c>description</c>, <c>default</c>) do not constrain. No JSON Schema validator restores from this project's
/// package feed (JsonSchema.Net's dependencies are absent), hence this subset.
/// </para>
/// <para>
/// One leniency, as LangChain's tools (pydantic's lax mode) have: a string holding a number satisfies
/// <c>integer</c>/<c>number</c>, with the bounds checked on its value, because models often quote numbers.
/// </para>
/// </remarks>
internal static class ToolArgumentValidator
{
    /// <summary>Validates arguments.</summary>
    /// <param name="schema">The tool's parameters schema.</param>
    /// <param name="arguments">The arguments.</param>
    /// <returns>Null when valid, else the first problem, naming the property, for the model to correct.</returns>
    public static string? Validate(JsonElement schema, JsonElement arguments) => Check(schema, arguments, "arguments");

    private static string? Check(JsonElement schema, JsonElement value, string path)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            // true / false schemas.
            return schema.ValueKind == JsonValueKind.False ? $"{path} is not allowed." : null;
        }

        if (schema.TryGetProperty("type", out var type) && !MatchesType(type, value, out var expected))
        {
            return $"{path} must be {expected}, not {Describe(value)}.";
        }

        if (schema.TryGetProperty("enum", out var allowed) && allowed.ValueKind == JsonValueKind.Array
            && !allowed.EnumerateArray().Any(a => JsonElement.DeepEquals(a, value)))
        {
            return $"{path} must be one of {allowed.GetRawText()}.";
        }

        return value.ValueKind switch
        {
            JsonValueKind.Object => CheckObject(schema, value, path),
            JsonValueKind.Array => CheckArray(schema, value, path),
            JsonValueKind.String => CheckString(schema, value, path),
            JsonValueKind.Number => CheckNumber(schema, value.GetDouble(), path),
            _ => null,
        };
    }

    private static string? CheckObject(JsonElement schema, JsonElement value, string path)
    {
        var properties = schema.TryGetProperty("properties", out var p) && p.ValueKind == JsonValueKind.Object ? p : default;
        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()).OfType<string>())
            {
                if (!value.TryGetProperty(name, out var given) || given.ValueKind == JsonValueKind.Null)
                {
                    return $"{Join(path, name)} is required.";
                }
            }
        }

        var additional = schema.TryGetProperty("additionalProperties", out var a) ? a : default;
        foreach (var property in value.EnumerateObject())
        {
            var child = Join(path, property.Name);
            if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                // An explicit null stands for "not given" (models send it for optional fields).
                if (property.Value.ValueKind != JsonValueKind.Null && Check(propertySchema, property.Value, child) is { } error)
                {
                    return error;
                }
            }
            else if (additional.ValueKind == JsonValueKind.False)
            {
                var known = properties.ValueKind == JsonValueKind.Object ? string.Join(", ", properties.EnumerateObject().Select(x => x.Name)) : "none";
                return $"{child} is not a parameter of this tool (parameters: {known}).";
            }
            else if (additional.ValueKind == JsonValueKind.Object && Check(additional, property.Value, child) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    private static string? CheckArray(JsonElement schema, JsonElement value, string path)
    {
        var count = value.GetArrayLength();
        if (schema.TryGetProperty("minItems", out var min) && min.TryGetInt32(out var minItems) && count < minItems)
        {
            return $"{path} must have at least {minItems} items, not {count}.";
        }

        if (schema.TryGetProperty("maxItems", out var max) && max.TryGetInt32(out var maxItems) && count > maxItems)
        {
            return $"{path} must have at most {maxItems} items, not {count}.";
        }

        if (schema.TryGetProperty("items", out var items))
        {
            var index = 0;
            foreach (var item in value.EnumerateArray())
            {
                if (Check(items, item, $"{path}[{index++}]") is { } error)
                {
                    return error;
                }
            }
        }

        return null;
    }

    private static string? CheckString(JsonElement schema, JsonElement value, string path)
    {
        var text = value.GetString()!;
        if (IsNumeric(schema) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return CheckNumber(schema, number, path);
        }

        var length = text.EnumerateRunes().Count();
        if (schema.TryGetProperty("minLength", out var min) && min.TryGetInt32(out var minLength) && length < minLength)
        {
            return $"{path} must be at least {minLength} characters long, not {length}.";
        }

        if (schema.TryGetProperty("maxLength", out var max) && max.TryGetInt32(out var maxLength) && length > maxLength)
        {
            return $"{path} must be at most {maxLength} characters long, not {length}.";
        }

        return null;
    }

    private static string? CheckNumber(JsonElement schema, double number, string path)
    {
        string Shown() => number.ToString(CultureInfo.InvariantCulture);
        if (schema.TryGetProperty("minimum", out var min) && min.TryGetDouble(out var minimum) && number < minimum)
        {
            return $"{path} must be at least {min.GetRawText()}, not {Shown()}.";
        }

        if (schema.TryGetProperty("maximum", out var max) && max.TryGetDouble(out var maximum) && number > maximum)
        {
            return $"{path} must be at most {max.GetRawText()}, not {Shown()}.";
        }

        if (schema.TryGetProperty("exclusiveMinimum", out var xmin) && xmin.TryGetDouble(out var exclusiveMinimum) && number <= exclusiveMinimum)
        {
            return $"{path} must be greater than {xmin.GetRawText()}, not {Shown()}.";
        }

        if (schema.TryGetProperty("exclusiveMaximum", out var xmax) && xmax.TryGetDouble(out var exclusiveMaximum) && number >= exclusiveMaximum)
        {
            return $"{path} must be less than {xmax.GetRawText()}, not {Shown()}.";
        }

        return null;
    }

    private static bool MatchesType(JsonElement type, JsonElement value, out string expected)
    {
        var names = type.ValueKind == JsonValueKind.Array
            ? type.EnumerateArray().Select(t => t.GetString()).OfType<string>().ToList()
            : [type.GetString() ?? ""];
        expected = string.Join(" or ", names.Select(n => n is "integer" or "object" or "array" ? "an " + n : "a " + n));
        return names.Any(name => name switch
        {
            "object" => value.ValueKind == JsonValueKind.Object,
            "array" => value.ValueKind == JsonValueKind.Array,
            "string" => value.ValueKind == JsonValueKind.String,
            "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "null" => value.ValueKind == JsonValueKind.Null,
            "number" => value.ValueKind == JsonValueKind.Number || IsQuotedNumber(value, integral: false),
            "integer" => (value.ValueKind == JsonValueKind.Number && IsIntegral(value.GetDouble())) || IsQuotedNumber(value, integral: true),
            _ => false,
        });
    }

    private static bool IsNumeric(JsonElement schema) =>
        schema.TryGetProperty("type", out var type)
        && (type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()) : [type.GetString()])
            .Any(t => t is "integer" or "number");

    private static bool IsQuotedNumber(JsonElement value, bool integral) =>
        value.ValueKind == JsonValueKind.String
        && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
        && double.IsFinite(number)
        && (!integral || IsIntegral(number));

    private static bool IsIntegral(double number) => double.IsFinite(number) && Math.Floor(number) == number;

    private static string Join(string path, string name) => path == "arguments" ? $"'{name}'" : $"{path}.{name}";

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "the number " + value.GetRawText(),
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
