using System.Text.Json.Nodes;
using Agent.Persistence.Connections;
using Microsoft.AspNetCore.Diagnostics;

namespace Agent.Api.Hosting;

/// <summary>
/// Turns unhandled exceptions into <c>{"detail": ...}</c> responses: a client's bad request (e.g. an oversized
/// body found while reading) keeps its 4xx status; a transient database failure (a restart, an exhausted pool)
/// answers 503 with <c>Retry-After</c>; only a real server fault answers 500.
/// </summary>
internal static class ErrorHandlingExtensions
{
    /// <summary>The <c>Retry-After</c> of a 503 for a transient database failure, in seconds.</summary>
    public const int TransientRetryAfterSeconds = 1;

    /// <summary>Adds the handler, and inside it <see cref="TransientDatabaseFailureMiddleware"/>'s one retry.</summary>
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
                not null when TransientDatabaseFailure.IsTransient(error) =>
                    (StatusCodes.Status503ServiceUnavailable, "The database is unavailable for a moment; retry after the Retry-After delay."),
                _ => (StatusCodes.Status500InternalServerError, "Internal server error."),
            };
            context.Response.StatusCode = status;
            if (status == StatusCodes.Status503ServiceUnavailable)
            {
                context.Response.Headers.RetryAfter = TransientRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(new JsonObject { ["detail"] = detail }.ToJsonString());
        }));
        app.UseMiddleware<TransientDatabaseFailureMiddleware>();
        return app;
    }
}
