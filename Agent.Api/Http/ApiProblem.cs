namespace Agent.Api.Http;

/// <summary>
/// The error body, <c>{"detail": "..."}</c>: Starlette's <c>HTTPException</c> body, which LangGraph Server answers
/// with and both LangGraph SDKs read.
/// </summary>
/// <param name="Detail">Why the request failed, for a person to read.</param>
internal sealed record ApiProblem(string Detail);
