using Agent.Persistence.ApiKeys;
using Microsoft.AspNetCore.Authorization;

namespace Agent.Api.Auth;

/// <summary>
/// The requirement every authenticated endpoint carries: the caller holds the scope the endpoint needs.
/// </summary>
internal sealed class ScopeRequirement : IAuthorizationRequirement;

/// <summary>
/// Decides which scope a request needs and whether the caller holds it. An endpoint's <see cref="RequiredScope"/>
/// wins; otherwise GET, HEAD and OPTIONS need <c>read</c>, and so does a POST whose route ends in <c>/search</c>,
/// <c>/count</c>, <c>/history</c>, <c>/versions</c> or <c>/namespaces</c> (the LangGraph API's queries with a body,
/// reference/langgraph-server-api.md); every other method needs <c>write</c>.
/// Deriving the default from the request keeps endpoints added later covered without each having to say so.
/// </summary>
internal sealed class ScopeAuthorizationHandler : AuthorizationHandler<ScopeRequirement>
{
    private static readonly string[] QueryRouteEndings = ["/search", "/count", "/history", "/versions", "/namespaces"];

    /// <summary>Finds the scope a request needs.</summary>
    /// <param name="http">The request.</param>
    /// <returns>The scope.</returns>
    public static string RequiredScopeOf(HttpContext http)
    {
        var endpoint = http.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<RequiredScope>() is { } required)
        {
            return required.Scope;
        }

        var method = http.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method))
        {
            return ApiKeyScopes.Read;
        }

        var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText?.TrimEnd('/') ?? http.Request.Path.Value?.TrimEnd('/') ?? "";
        return HttpMethods.IsPost(method) && QueryRouteEndings.Any(e => route.EndsWith(e, StringComparison.OrdinalIgnoreCase))
            ? ApiKeyScopes.Read
            : ApiKeyScopes.Write;
    }

    /// <inheritdoc />
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, ScopeRequirement requirement)
    {
        if (context.Resource is not HttpContext http)
        {
            context.Fail(new AuthorizationFailureReason(this, "The request could not be authorized."));
            return Task.CompletedTask;
        }

        var scope = RequiredScopeOf(http);
        if (context.User.HasClaim(ApiCaller.ScopeClaim, scope))
        {
            context.Succeed(requirement);
        }
        else
        {
            context.Fail(new AuthorizationFailureReason(this, $"This API key lacks the '{scope}' scope this request needs."));
        }

        return Task.CompletedTask;
    }
}
