using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Agent.Api.Hosting;

/// <summary>
/// CORS and the standard security headers.
/// </summary>
internal static class HttpSecurityExtensions
{
    /// <summary>The CORS policy name.</summary>
    public const string CorsPolicy = "agent-cors";

    /// <summary>
    /// Registers CORS from <see cref="HttpSecurityOptions"/>: the allowed origins, any method and header, and
    /// <c>Content-Location</c> and <c>Location</c> exposed (the LangGraph SDKs read the run id from them).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration (section <c>Http</c>).</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddHttpSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HttpSecurityOptions>().Bind(configuration.GetSection(HttpSecurityOptions.SectionName));
        services.AddCors();
        services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>().Configure<IOptions<HttpSecurityOptions>>((cors, settings) =>
            cors.AddPolicy(CorsPolicy, policy =>
            {
                var origins = settings.Value.Origins();
                if (origins.Contains("*"))
                {
                    policy.AllowAnyOrigin();
                }
                else
                {
                    policy.WithOrigins([.. origins]);
                }

                policy.AllowAnyMethod().AllowAnyHeader()
                    .WithExposedHeaders(HeaderNames.ContentLocation, HeaderNames.Location, HeaderNames.RetryAfter)
                    .SetPreflightMaxAge(TimeSpan.FromHours(1));
            }));
        return services;
    }

    /// <summary>
    /// Adds the security headers to every response, then CORS. Headers: <c>X-Content-Type-Options: nosniff</c>,
    /// <c>X-Frame-Options: DENY</c>, <c>Referrer-Policy: no-referrer</c>, the configured
    /// <c>Content-Security-Policy</c> (unless the endpoint set its own), <c>Cache-Control: no-store</c> unless set (responses hold tenant data), and
    /// <c>Strict-Transport-Security</c> on HTTPS (OWASP HTTP Headers Cheat Sheet).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns>The same application.</returns>
    public static WebApplication UseHttpSecurity(this WebApplication app)
    {
        var settings = app.Services.GetRequiredService<IOptions<HttpSecurityOptions>>().Value;
        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                var headers = context.Response.Headers;
                headers.XContentTypeOptions = "nosniff";
                headers.XFrameOptions = "DENY";
                headers["Referrer-Policy"] = "no-referrer";
                // An endpoint that sets its own policy keeps it (the web console's pages need script-src 'self').
                if (settings.ContentSecurityPolicy.Length > 0 && string.IsNullOrEmpty(headers.ContentSecurityPolicy))
                {
                    headers.ContentSecurityPolicy = settings.ContentSecurityPolicy;
                }

                if (string.IsNullOrEmpty(headers.CacheControl))
                {
                    headers.CacheControl = "no-store";
                }

                if (context.Request.IsHttps)
                {
                    headers.StrictTransportSecurity = "max-age=31536000";
                }

                return Task.CompletedTask;
            });
            return next(context);
        });
        app.UseCors(CorsPolicy);
        return app;
    }
}
