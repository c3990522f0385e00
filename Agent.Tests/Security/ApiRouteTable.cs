using Agent.Api.Auth;
using Agent.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Tests.Security;

/// <summary>
/// The API's real route table, read from the running application (its <see cref="EndpointDataSource"/>), so a spec
/// that walks every endpoint also walks the ones added after it was written.
/// </summary>
internal static class ApiRouteTable
{
    /// <summary>Loads every (method, route pattern) the API maps.</summary>
    /// <param name="database">The connection string the host is given (it is not queried).</param>
    /// <returns>The routes, e.g. <c>("GET", "/threads/{thread_id}")</c>, sorted.</returns>
    public static async Task<List<(string Method, string Pattern)>> LoadAsync(string database)
    {
        // Any type of Agent.Api names its entry point ("Program" alone is ambiguous: the worker has one too).
        await using var factory = new WebApplicationFactory<AgentAuthOptions>().WithWebHostBuilder(host =>
        {
            host.UseSetting("ConnectionStrings:Agent", database);
            host.UseSetting("ConnectionStrings:RabbitMq", TestEnvironment.RabbitMqUri);
            host.UseSetting("Messaging:RunQueue", "agent-runs-route-table-unused");
        });
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints;
        return endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
                .Select(m => (Method: m, Pattern: "/" + (e.RoutePattern.RawText ?? "").Trim('/'))))
            .Distinct()
            .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
            .ToList();
    }
}
