using Agent.Telemetry.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Formatting.Compact;

namespace Agent.Telemetry.Logging;

/// <summary>
/// Serilog for the API and the workers (Serilog.AspNetCore): one compact JSON object per line on the console, and one
/// request log line per HTTP request. Request and response bodies, headers and query strings are never logged, and
/// neither are prompts or completions unless <c>Telemetry:CaptureMessageContent</c> is on.
/// </summary>
public static class AgentLogging
{
    /// <summary>
    /// Gets the console format: Serilog's rendered compact JSON (CLEF: <c>@t</c> timestamp, <c>@m</c> rendered message,
    /// <c>@i</c> event id, <c>@l</c> level when not Information, <c>@x</c> exception, <c>@tr</c>/<c>@sp</c> trace and span
    /// ids, then every property at the top level).
    /// </summary>
    public static ITextFormatter Formatter { get; } = new RenderedCompactJsonFormatter();

    /// <summary>
    /// Replaces the logging providers with Serilog (<c>AddSerilog</c>) writing <see cref="Formatter"/> lines to the
    /// console, configured by <see cref="ConfigureAgentLogging"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration (section <c>Serilog</c>).</param>
    /// <param name="service">The service name added to every line, e.g. <c>agent-api</c>.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAgentLogging(this IServiceCollection services, IConfiguration configuration, string service) =>
        services.AddSerilog(logger => logger.ConfigureAgentLogging(configuration, service).WriteTo.Console(Formatter));

    /// <summary>
    /// Sets the runtime's levels and enrichers: Information, framework noise at Warning, overrides from the
    /// <c>Serilog</c> configuration section; log-context properties (scopes such as <c>run_id</c>/<c>thread_id</c>);
    /// <c>trace_id</c> and <c>span_id</c> (W3C hex, the names log backends join traces on) on every line written inside
    /// a span; and <c>service</c>. Sinks are the caller's.
    /// </summary>
    /// <param name="logger">The logger configuration.</param>
    /// <param name="configuration">The configuration.</param>
    /// <param name="service">The service name, e.g. <c>agent-worker</c>.</param>
    /// <returns>The logger configuration.</returns>
    public static LoggerConfiguration ConfigureAgentLogging(this LoggerConfiguration logger, IConfiguration configuration, string service) =>
        logger
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .ReadFrom.Configuration(configuration)
            .Enrich.FromLogContext()
            .Enrich.With<TraceIdsEnricher>()
            .Enrich.WithProperty("service", service);

    /// <summary>
    /// Adds Serilog's request logging (<c>UseSerilogRequestLogging</c>): one line per request, "HTTP {RequestMethod}
    /// {RequestPath} responded {StatusCode} in {Elapsed} ms", carrying <c>trace_id</c>/<c>span_id</c>, the route's
    /// <c>thread_id</c> and <c>run_id</c> when it has them, and the caller's <c>tenant</c>. Probes and scrapes
    /// (<see cref="ProbeRequests"/>) log at Debug, 5xx and exceptions at Error. Add it first, so it sees the final status.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <param name="tenant">Reads the caller's tenant from the request (after authentication), or null for none.</param>
    /// <returns>The application.</returns>
    public static IApplicationBuilder UseAgentRequestLogging(this IApplicationBuilder app, Func<HttpContext, string?> tenant) =>
        app.UseSerilogRequestLogging(options =>
        {
            options.GetLevel = (context, _, error) =>
                error is not null || context.Response.StatusCode >= StatusCodes.Status500InternalServerError ? LogEventLevel.Error
                : ProbeRequests.IsProbe(context.Request.Path) ? LogEventLevel.Debug
                : LogEventLevel.Information;
            options.EnrichDiagnosticContext = (diagnostics, context) =>
            {
                foreach (var key in (string[])["thread_id", "run_id"])
                {
                    if (context.GetRouteValue(key) is string value)
                    {
                        diagnostics.Set(key, value);
                    }
                }

                if (tenant(context) is { } tenantId)
                {
                    diagnostics.Set("tenant", tenantId);
                }
            };
        });

    /// <summary>Copies the event's trace and span ids (captured from <c>Activity.Current</c>) into snake_case properties.</summary>
    private sealed class TraceIdsEnricher : ILogEventEnricher
    {
        public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
        {
            if (logEvent.TraceId is { } traceId)
            {
                logEvent.AddPropertyIfAbsent(new LogEventProperty("trace_id", new ScalarValue(traceId.ToHexString())));
            }

            if (logEvent.SpanId is { } spanId)
            {
                logEvent.AddPropertyIfAbsent(new LogEventProperty("span_id", new ScalarValue(spanId.ToHexString())));
            }
        }
    }
}
