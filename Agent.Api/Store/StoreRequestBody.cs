using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Agent.Api.Http;

namespace Agent.Api.Store;

/// <summary>
/// Reads a store request body into its record through the record's source-generated metadata
/// (<see cref="StoreJsonContext"/>), turning every mistake into a 4xx with a reason: the shared body checks of
/// <see cref="ApiRequest.ReadObjectAsync"/> (400 malformed, 413 too large, 422 not an object), then 422 for a field the
/// record does not have (naming the fields it has) and for a field of the wrong JSON type (naming the type expected and
/// the one sent).
/// </summary>
internal static class StoreRequestBody
{
    /// <summary>Reads the body.</summary>
    /// <typeparam name="T">The request record.</typeparam>
    /// <param name="request">The request.</param>
    /// <param name="typeInfo">The record's metadata, e.g. <c>StoreJsonContext.Default.StorePutRequest</c>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The record, or the 4xx result.</returns>
    public static async Task<(T? Body, IResult? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
        where T : class
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return (null, error);
        }

        var fields = typeInfo.Properties.Select(p => p.Name).ToList();
        var unknown = body!.Select(p => p.Key).FirstOrDefault(k => !fields.Contains(k, StringComparer.Ordinal));
        if (unknown is not null)
        {
            return (null, ApiResults.Unprocessable(
                $"'{ApiRequest.Truncate(unknown)}' is not a field of this request; its fields are {string.Join(", ", fields)}."));
        }

        try
        {
            return (body.Deserialize(typeInfo) ?? throw new JsonException("The body is null."), null);
        }
        catch (JsonException ex)
        {
            return (null, ApiResults.Unprocessable(Describe(ex.Path, body!, typeInfo) ?? "The request body does not match its schema: " + ex.Message));
        }
    }

    // "$.ttl" → "ttl must be a number, got string."; "$.namespace[1]" → "namespace must be a list of strings, got number at [1]."
    private static string? Describe<T>(string? path, JsonObject body, JsonTypeInfo<T> typeInfo)
    {
        if (path is null || !path.StartsWith("$.", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = path[2..];
        var end = rest.IndexOfAny(['.', '[']);
        var field = end < 0 ? rest : rest[..end];
        var property = typeInfo.Properties.FirstOrDefault(p => p.Name == field);
        if (property is null)
        {
            return null;
        }

        JsonNode? sent = body[field];
        var at = "";
        if (end >= 0 && rest[end] == '[' && sent is JsonArray list
            && int.TryParse(rest[(end + 1)..rest.IndexOf(']', end)], out var element) && element < list.Count)
        {
            sent = list[element];
            at = $" at [{element}]";
        }

        var kind = sent is null ? "null" : sent.GetValueKind().ToString().ToLowerInvariant();
        return $"{field} must be {Expected(property.PropertyType)}, got {kind}{at}.";
    }

    private static string Expected(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(string) ? "a string"
            : t == typeof(int) ? "an integer"
            : t == typeof(double) ? "a number"
            : t == typeof(bool) ? "a boolean"
            : t == typeof(JsonObject) ? "an object"
            : typeof(IEnumerable<string>).IsAssignableFrom(t) ? "a list of strings"
            : "valid JSON for it";
    }
}
