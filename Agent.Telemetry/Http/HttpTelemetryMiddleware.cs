using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Agent.Telemetry.Http;

/// <summary>
/// Completes ASP.NET Core 10's request span, which without OpenTelemetry.Instrumentation.AspNetCore (absent here) has
/// no <c>http.route</c> or status: names it <c>{method} {route}</c> (HTTP semantic conventions), sets
/// <c>http.route</c>, <c>http.response.status_code</c>, and on a 5xx or exception <c>error.type</c> and status Error.
/// Probe and scrape requests (<c>/metrics</c>, <c>/health/*</c>, <c>/ok</c>) are not recorded: a scraper every few
/// seconds would otherwise fill the trace store. Pattern: reference/observability.md section 2.3.
/// </summary>
public static class HttpTelemetryMiddleware
{
    /// <summary>Adds the middleware; call it after <c>UseRouting</c> (explicit or implicit) so the route is known.</summary>
    /// <param name="app">The application.</param>
    /// <returns>The application.</returns>
    public static IApplicationBuilder UseAgentHttpTelemetry(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var activity = context.Features.Get<IHttpActivityFeature>()?.Activity;
        if (activity is not null && IsProbe(context.Request.Path))
        {
            // Children created from now on see an unsampled parent and are dropped by the parent-based sampler.
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            activity.IsAllDataRequested = false;
        }

        Exception? error = null;
        try
        {
            await next(context);
        }
        catch (Exception ex)
        {
            error = ex;
            throw;
        }
        finally
        {
            if (activity is { IsAllDataRequested: true })
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText;
                activity.DisplayName = route is null ? context.Request.Method : $"{context.Request.Method} {route}";
                if (route is not null)
                {
                    activity.SetTag("http.route", route);
                }

                var status = error is null ? context.Response.StatusCode : StatusCodes.Status500InternalServerError;
                activity.SetTag("http.response.status_code", status);
                if (error is not null || status >= StatusCodes.Status500InternalServerError)
                {
                    activity.SetTag("error.type", error?.GetType().FullName ?? status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    activity.SetStatus(ActivityStatusCode.Error);
                }
            }
        }
    });

    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health") || path.StartsWithSegments("/ok");
}
