using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace Agent.Api.Auth;

/// <summary>
/// Writes authorization failures as the API's other errors: 401 (no, unknown or revoked key) and 403 (a scope
/// missing) with <c>{"detail": "..."}</c> naming the reason.
/// </summary>
internal sealed class AgentAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler fallback = new();

    /// <summary>Writes a 401.</summary>
    /// <param name="http">The request.</param>
    /// <param name="detail">Why.</param>
    /// <returns>A task that completes when the response is written.</returns>
    public static Task WriteUnauthorizedAsync(HttpContext http, string detail)
    {
        // RFC 9110 section 11.6.1: a 401 names a scheme the client can use.
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return WriteAsync(http, StatusCodes.Status401Unauthorized, detail);
    }

    /// <summary>Writes a 403.</summary>
    /// <param name="http">The request.</param>
    /// <param name="detail">Why.</param>
    /// <returns>A task that completes when the response is written.</returns>
    public static Task WriteForbiddenAsync(HttpContext http, string detail) => WriteAsync(http, StatusCodes.Status403Forbidden, detail);

    /// <inheritdoc />
    public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            // The handler caches its result per request, so this does not look the key up again.
            var result = await context.AuthenticateAsync(ApiKeyAuthenticationHandler.SchemeName);
            await WriteUnauthorizedAsync(context, result.Failure?.Message ?? ApiKeyAuthenticationHandler.MissingKeyDetail);
        }
        else if (authorizeResult.Forbidden)
        {
            var reason = authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault()?.Message ?? "This API key may not do this.";
            await WriteForbiddenAsync(context, reason);
        }
        else
        {
            await fallback.HandleAsync(next, context, policy, authorizeResult);
        }
    }

    private static async Task WriteAsync(HttpContext http, int status, string detail)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(new JsonObject { ["detail"] = detail }.ToJsonString());
    }
}
