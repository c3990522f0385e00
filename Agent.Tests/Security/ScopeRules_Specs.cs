using Agent.Api.Auth;
using Agent.Persistence.ApiKeys;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Agent.Tests.Security;

[TestFixture]
public sealed class When_the_scope_of_a_request_is_decided
{
    [TestCase("GET", "/threads/{thread_id}", ApiKeyScopes.Read)]
    [TestCase("HEAD", "/threads/{thread_id}", ApiKeyScopes.Read)]
    [TestCase("POST", "/threads/search", ApiKeyScopes.Read)]
    [TestCase("POST", "/assistants/search", ApiKeyScopes.Read)]
    [TestCase("POST", "/threads/{thread_id}/history", ApiKeyScopes.Read)]
    [TestCase("POST", "/runs/crons/count", ApiKeyScopes.Read)]
    [TestCase("POST", "/assistants/{assistant_id}/versions", ApiKeyScopes.Read)]
    [TestCase("POST", "/store/namespaces", ApiKeyScopes.Read)]
    [TestCase("POST", "/assistants/{assistant_id}/latest", ApiKeyScopes.Write)]
    [TestCase("POST", "/threads", ApiKeyScopes.Write)]
    [TestCase("POST", "/threads/{thread_id}/runs/{run_id}/cancel", ApiKeyScopes.Write)]
    [TestCase("PATCH", "/threads/{thread_id}", ApiKeyScopes.Write)]
    [TestCase("DELETE", "/threads/{thread_id}", ApiKeyScopes.Write)]
    [TestCase("PUT", "/store/items", ApiKeyScopes.Write)]
    public void Should_derive_it_from_the_method_and_route(string method, string route, string scope) =>
        Assert.That(ScopeAuthorizationHandler.RequiredScopeOf(Request(method, route)), Is.EqualTo(scope));

    [Test]
    public void Should_let_an_endpoint_name_its_own_scope() =>
        Assert.That(ScopeAuthorizationHandler.RequiredScopeOf(Request("GET", "/admin/api-keys", new RequiredScope(ApiKeyScopes.Admin))),
            Is.EqualTo(ApiKeyScopes.Admin));

    private static DefaultHttpContext Request(string method, string route, params object[] metadata)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.SetEndpoint(new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse(route), 0, new EndpointMetadataCollection(metadata), route));
        return http;
    }
}
