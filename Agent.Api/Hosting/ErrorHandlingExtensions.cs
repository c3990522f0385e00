using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Diagnostics;

namespace Agent.Api.Hosting;

/// <summary>
/// Turns unhandled exceptions into <c>{"detail": ...}</c> responses: a client's bad request (e.g. an oversized
/// body found while reading) keeps its 4xx status; only a real server fault answers 500.
/// </summary>
internal static class ErrorHandlingExtensions
{
    /// <summary>Adds the handler.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static WebApplication UseAgentErrorHandling(this WebApplication app)
    {
        app.UseExceptionHandler(errors => errors.Run(async context =>
        {
            var error = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var (status, detail) = error switch
            {
                BadHttpRequestException bad => (bad.StatusCode, bad.Message),
                _ => (StatusCodes.Status500InternalServerError, "Internal server error."),
            };
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(new JsonObject { ["detail"] = detail }.ToJsonString());
        }));
        return app;
    }
}
