using System.Text.Json.Nodes;

namespace Agent.Api.Http;

/// <summary>
/// Builds the API's responses: JSON documents as the LangGraph Server writes them, and errors as
/// <c>{"detail": "..."}</c> (Starlette's <c>HTTPException</c> body, which both LangGraph SDKs read).
/// </summary>
internal static class ApiResults
{
    /// <summary>Writes a JSON document with the given status.</summary>
    /// <param name="node">The document.</param>
    /// <param name="statusCode">The status. Default is 200.</param>
    /// <returns>The result.</returns>
    public static IResult Json(JsonNode? node, int statusCode = StatusCodes.Status200OK) =>
        TypedResults.Json(node, ApiJsonContext.Default.JsonNode, statusCode: statusCode);

    /// <summary>Writes <c>{"detail": detail}</c> with a 4xx status.</summary>
    /// <param name="statusCode">The status, e.g. 404 or 422.</param>
    /// <param name="detail">Why the request failed, for a person to read.</param>
    /// <returns>The result.</returns>
    public static IResult Problem(int statusCode, string detail) =>
        TypedResults.Json(new ApiProblem(detail), ApiJsonContext.Default.ApiProblem, statusCode: statusCode);

    /// <summary>Writes 404 with a detail.</summary>
    /// <param name="detail">What was not found.</param>
    /// <returns>The result.</returns>
    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, detail);

    /// <summary>Writes 422 with a detail.</summary>
    /// <param name="detail">Which field is wrong and why.</param>
    /// <returns>The result.</returns>
    public static IResult Unprocessable(string detail) => Problem(StatusCodes.Status422UnprocessableEntity, detail);

    /// <summary>Writes 429 with a detail and <c>Retry-After</c> (RFC 6585 section 4, RFC 9110 section 10.2.3).</summary>
    /// <param name="detail">Which limit was hit.</param>
    /// <param name="retryAfterSeconds">When to retry, in whole seconds (at least 1).</param>
    /// <returns>The result.</returns>
    public static IResult TooManyRequests(string detail, int retryAfterSeconds) => new RetryLaterResult(detail, Math.Max(1, retryAfterSeconds));

    private sealed class RetryLaterResult(string detail, int retryAfterSeconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Problem(StatusCodes.Status429TooManyRequests, detail).ExecuteAsync(httpContext);
        }
    }
}
