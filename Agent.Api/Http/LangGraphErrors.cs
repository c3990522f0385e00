namespace Agent.Api.Http;

/// <summary>
/// The error bodies this server shares with the Python LangGraph Agent Server (the server LangGraph Platform runs),
/// where the JS server (<c>@langchain/langgraph-api</c>) words them otherwise. Every one is <c>{"detail": "..."}</c>.
/// </summary>
/// <remarks>
/// Source: the <c>langgraph_api</c> package (<c>api/threads.py</c>, <c>api/assistants.py</c>, <c>api/runs.py</c>,
/// <c>models/run.py</c>, <c>utils/__init__.py</c>). A thread, assistant or run that is not there reaches
/// <c>fetchone(...)</c> without a detail, so Starlette's <c>HTTPException</c> answers the status's reason phrase
/// (<c>Not Found</c>; <c>Conflict</c> for a create that finds the id taken); a run created on a missing thread or with a
/// missing assistant answers <c>Thread or assistant not found.</c>; a malformed id in the path answers 422
/// <c>Invalid thread ID: must be a UUID</c> (assistant, run likewise). The JS server says <c>Thread with ID {id} not
/// found</c> and <c>Assistant not found</c> instead. Errors the Python server words in ways not public (its PostgreSQL
/// runtime's, or the Go core API's) keep this server's own texts (docs/api.md, "Error bodies").
/// </remarks>
internal static class LangGraphErrors
{
    /// <summary>The detail of a 404 for a thread, assistant, run or cron that is not there (or is another tenant's).</summary>
    public const string NotFoundDetail = "Not Found";

    /// <summary>The detail of a 409 for a create whose id is taken (<c>if_exists</c> <c>raise</c>).</summary>
    public const string ConflictDetail = "Conflict";

    /// <summary>The detail of a 404 for a run created on a missing thread or with a missing assistant.</summary>
    public const string ThreadOrAssistantNotFoundDetail = "Thread or assistant not found.";

    /// <summary>Gets 404 <c>{"detail": "Not Found"}</c>.</summary>
    public static IResult NotFound { get; } = ApiResults.NotFound(NotFoundDetail);

    /// <summary>Gets 409 <c>{"detail": "Conflict"}</c>.</summary>
    public static IResult Conflict { get; } = ApiResults.Problem(StatusCodes.Status409Conflict, ConflictDetail);

    /// <summary>Gets 404 <c>{"detail": "Thread or assistant not found."}</c>.</summary>
    public static IResult ThreadOrAssistantNotFound { get; } = ApiResults.NotFound(ThreadOrAssistantNotFoundDetail);

    /// <summary>Parses an id of the request path.</summary>
    /// <param name="value">The path segment.</param>
    /// <param name="resource">The resource, as the Python server names it: <c>thread</c>, <c>assistant</c>, <c>run</c>, <c>cron</c>.</param>
    /// <returns>The id, or 422 <c>{"detail": "Invalid {resource} ID: must be a UUID"}</c>.</returns>
    public static (Guid Id, IResult? Error) ParsePathId(string? value, string resource) =>
        Guid.TryParse(value, out var id)
            ? (id, null)
            : (Guid.Empty, ApiResults.Unprocessable($"Invalid {resource} ID: must be a UUID"));
}
