using System.Text.Json;
using System.Text.Json.Nodes;

namespace Agent.Api.Http;

/// <summary>
/// Reads request bodies and identifiers, turning every client mistake into a 4xx with a reason instead of a 5xx.
/// </summary>
internal static class ApiRequest
{
    /// <summary>The deepest JSON nesting accepted in a body. Default is 64 (System.Text.Json's default).</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Reads the body as a JSON object. An empty body reads as <c>{}</c>.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The object, or an error result (400 malformed JSON, 413 too large, 422 not an object).</returns>
    public static async Task<(JsonObject? Body, IResult? Error)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonNode? node;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            if (buffer.Length == 0)
            {
                return (new JsonObject(), null);
            }

            node = JsonNode.Parse(buffer.ToArray(), documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException ex)
        {
            return (null, ApiResults.Problem(StatusCodes.Status400BadRequest, "The request body is not valid JSON: " + ex.Message));
        }
        catch (BadHttpRequestException ex)
        {
            return (null, ApiResults.Problem(ex.StatusCode, ex.Message));
        }

        return node switch
        {
            JsonObject body => (body, null),
            null => (new JsonObject(), null),
            _ => (null, ApiResults.Unprocessable("The request body must be a JSON object.")),
        };
    }

    /// <summary>Parses a route or body identifier that must be a UUID.</summary>
    /// <param name="value">The text.</param>
    /// <param name="name">The field name for the error message.</param>
    /// <returns>The id, or a 422 result.</returns>
    public static (Guid Id, IResult? Error) ParseId(string? value, string name) =>
        Guid.TryParse(value, out var id)
            ? (id, null)
            : (Guid.Empty, ApiResults.Unprocessable($"{name} must be a UUID, got '{Truncate(value)}'."));

    /// <summary>Reads a string field; absent, null or not a string reads as null.</summary>
    /// <param name="body">The object.</param>
    /// <param name="field">The field name.</param>
    /// <returns>The text, or null.</returns>
    public static string? Text(JsonObject body, string field) =>
        body[field] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>Reads an optional field that must be a JSON object when present (null counts as absent).</summary>
    /// <param name="body">The object.</param>
    /// <param name="field">The field name, also used in the error.</param>
    /// <returns>The object (or null when absent), or a 422 detail.</returns>
    public static (JsonObject? Value, string? Error) OptionalObject(JsonObject body, string field) => body[field] switch
    {
        null => (null, null),
        JsonObject o => (o, null),
        _ => (null, $"{field} must be an object."),
    };

    /// <summary>Reads an optional list of strings (null counts as absent).</summary>
    /// <param name="body">The object.</param>
    /// <param name="field">The field name, also used in the error.</param>
    /// <returns>The strings (or null when absent), or a 422 detail.</returns>
    public static (IReadOnlyList<string>? Value, string? Error) StringList(JsonObject body, string field)
    {
        if (body[field] is null)
        {
            return (null, null);
        }

        if (body[field] is not JsonArray array)
        {
            return (null, $"{field} must be a list of strings.");
        }

        var list = new List<string>(array.Count);
        foreach (var item in array)
        {
            if (item is not JsonValue v || !v.TryGetValue<string>(out var text))
            {
                return (null, $"{field} must be a list of strings.");
            }

            list.Add(text);
        }

        return (list, null);
    }

    /// <summary>Refuses fields that the LangGraph API defines but this server does not implement, by name.</summary>
    /// <param name="body">The object.</param>
    /// <param name="fields">The unsupported fields.</param>
    /// <returns>A 422 detail naming the first one present (and not null), or null.</returns>
    public static string? Unsupported(JsonObject body, params ReadOnlySpan<string> fields)
    {
        foreach (var field in fields)
        {
            if (body[field] is not null)
            {
                return $"{field} is not supported by this server.";
            }
        }

        return null;
    }

    /// <summary>Shortens user text quoted in an error message.</summary>
    /// <param name="value">The text.</param>
    /// <returns>At most 80 characters.</returns>
    public static string Truncate(string? value) =>
        value is null ? "null" : value.Length <= 80 ? value : value[..80] + "…";
}
