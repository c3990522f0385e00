using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;
using Microsoft.Extensions.Options;

namespace Agent.Api.Http;

/// <summary>
/// Reads request bodies and identifiers, turning every client mistake into a 4xx with a reason instead of a 5xx. A body's
/// fields are then read as its wire record by <see cref="WireBody"/>.
/// </summary>
internal static class ApiRequest
{
    /// <summary>
    /// Reads the body as a JSON object. An empty body reads as <c>{}</c>.
    /// </summary>
    /// <remarks>
    /// Enforces the <see cref="ApiLimits"/> every body shares: JSON depth (<see cref="ApiLimits.MaxJsonDepth"/>), and
    /// the size of a top-level <c>metadata</c> (<see cref="ApiLimits.MaxMetadataBytes"/>), so every endpoint that
    /// takes metadata is bounded without repeating the check. Invalid UTF-8 is malformed JSON (RFC 8259 section 8.1).
    /// </remarks>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// The object, or an error result (400 malformed JSON, invalid UTF-8 or too deep, 413 too large, 422 not an object
    /// or metadata too large).
    /// </returns>
    public static async Task<(JsonObject? Body, IResult? Error)> ReadObjectAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var limits = Limits(request.HttpContext);
        JsonNode? node;
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, cancellationToken);
            if (buffer.Length == 0)
            {
                return (new JsonObject(), null);
            }

            var bytes = buffer.ToArray();
            if (!Utf8.IsValid(bytes))
            {
                return (null, ApiResults.Problem(StatusCodes.Status400BadRequest, "The request body is not valid UTF-8."));
            }

            node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = limits.MaxJsonDepth });
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
            JsonObject body when body["metadata"] is { } metadata && Utf8Length(metadata) > limits.MaxMetadataBytes =>
                (null, ApiResults.Unprocessable($"metadata is {Utf8Length(metadata)} bytes of JSON; at most {limits.MaxMetadataBytes} are accepted.")),
            JsonObject body => (body, null),
            null => (new JsonObject(), null),
            _ => (null, ApiResults.Unprocessable("The request body must be a JSON object.")),
        };
    }

    /// <summary>Gets the request's <see cref="ApiLimits"/> (configured, or the defaults when none are registered).</summary>
    /// <param name="http">The request.</param>
    /// <returns>The limits.</returns>
    public static ApiLimits Limits(HttpContext http) =>
        http.RequestServices.GetService<IOptions<ApiLimits>>()?.Value ?? ApiLimits.Default;

    /// <summary>
    /// Parses an optional integer query parameter, refusing text that is not an integer (instead of silently using the
    /// default) and values outside the bounds.
    /// </summary>
    /// <param name="request">The request.</param>
    /// <param name="name">The parameter.</param>
    /// <param name="defaultValue">The value when the parameter is absent.</param>
    /// <param name="minimum">The smallest value accepted.</param>
    /// <param name="maximum">The largest value accepted.</param>
    /// <returns>The value, or a 422 result naming the parameter and its bounds.</returns>
    public static (int Value, IResult? Error) QueryInt(HttpRequest request, string name, int defaultValue, int minimum, int maximum)
    {
        var text = request.Query[name].ToString();
        if (text.Length == 0)
        {
            return (defaultValue, null);
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
               && value >= minimum && value <= maximum
            ? (value, null)
            : (defaultValue, ApiResults.Unprocessable($"{name} must be an integer from {minimum} to {maximum}, got '{Truncate(text)}'."));
    }

    /// <summary>Parses a route or body identifier that must be a UUID.</summary>
    /// <param name="value">The text.</param>
    /// <param name="name">The field name for the error message.</param>
    /// <returns>The id, or a 422 result.</returns>
    public static (Guid Id, IResult? Error) ParseId(string? value, string name) =>
        Guid.TryParse(value, out var id)
            ? (id, null)
            : (Guid.Empty, ApiResults.Unprocessable($"{name} must be a UUID, got '{Truncate(value)}'."));

    /// <summary>Shortens user text quoted in an error message.</summary>
    /// <param name="value">The text.</param>
    /// <returns>At most 80 characters.</returns>
    public static string Truncate(string? value) =>
        value is null ? "null" : value.Length <= 80 ? value : value[..80] + "…";

    private static int Utf8Length(JsonNode node) => Encoding.UTF8.GetByteCount(node.ToJsonString());

    /// <summary>
    /// Answers a LangGraph <c>POST .../count</c>: reads the JSON body, reads the resource's search filter from it and
    /// returns the number of matching rows as a bare JSON number.
    /// </summary>
    /// <typeparam name="TFilter">The resource's filter (the same one its <c>/search</c> uses).</typeparam>
    /// <param name="request">The request.</param>
    /// <param name="readFilter">Reads the filter from the body: the filter, or a 422 reason.</param>
    /// <param name="count">Counts the rows matching a filter (a store of Agent.Persistence).</param>
    /// <param name="cancellationToken">Cancels the read and the count.</param>
    /// <returns>The count, or the body's 4xx.</returns>
    public static async Task<IResult> CountAsync<TFilter>(
        HttpRequest request, Func<JsonObject, (TFilter? Filter, string? Error)> readFilter,
        Func<TFilter, CancellationToken, Task<int>> count, CancellationToken cancellationToken)
    {
        var (body, error) = await ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (filter, filterError) = readFilter(body!);
        return filterError is not null
            ? ApiResults.Unprocessable(filterError)
            : ApiResults.Json(JsonValue.Create(await count(filter!, cancellationToken)));
    }
}
