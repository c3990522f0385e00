using System.Reflection;
using System.Text.Json.Nodes;
using Agent.Api.Http;

namespace Agent.Api.Health;

/// <summary>
/// Maps <c>GET /ok</c> (liveness, <c>{"ok": true}</c>) and <c>GET /info</c> (server version and feature flags,
/// which agent-chat-ui and LangGraph Studio call as a connection check). Both answer without an API key: they
/// reveal nothing about any tenant.
/// </summary>
internal static class SystemApi
{
    /// <summary>Maps the endpoints.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapSystemApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/ok", () => ApiResults.Json(new JsonObject { ["ok"] = true })).WithTags("System").WithName("Ok").AllowAnonymous();
        app.MapGet("/info", () => ApiResults.Json(new JsonObject
        {
            ["version"] = typeof(SystemApi).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.1.0",
            ["server"] = "agent-runtime-dotnet",
            ["flags"] = new JsonObject { ["assistants"] = true, ["crons"] = true, ["langsmith"] = false },
        })).WithTags("System").WithName("Info").AllowAnonymous();
        return app;
    }
}
