using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace Agent.Telemetry.Logging;

/// <summary>
/// Configures Serilog JSON logs to the console for the API and the workers. Serilog.AspNetCore does not restore here;
/// this is NUGET.md's replacement: Serilog + Serilog.Extensions.Logging.
/// </summary>
public static class AgentLogging
{
    /// <summary>
    /// Replaces the logging providers with Serilog writing one JSON object per line (Serilog's
    /// <see cref="JsonFormatter"/>: Timestamp, Level, MessageTemplate, RenderedMessage, TraceId, SpanId, Properties).
    /// Every line inside a span also carries <c>trace_id</c> and <c>span_id</c> properties (W3C hex, the names log
    /// backends join traces on); scopes such as <c>run_id</c>/<c>thread_id</c> become properties. Levels come from the
    /// <c>Serilog</c> configuration section; framework noise defaults to Warning. Request and response bodies and
    /// headers are never logged, and neither are prompts or completions unless <c>Telemetry:CaptureMessageContent</c>
    /// is on.
    /// </summary>
    /// <param name="logging">The logging builder.</param>
    /// <param name="configuration">The configuration.</param>
    /// <param name="service">The service name added to every line, e.g. <c>agent-api</c>.</param>
    public static void AddAgentLogging(this ILoggingBuilder logging, IConfiguration configuration, string service)
    {
        var logger = new LoggerConfiguration()
            .MinimumLevel.Information()
            .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft.AspNetCore.HttpLogging", LogEventLevel.Information)
            .MinimumLevel.Override("Microsoft.EntityFrameworkCore", LogEventLevel.Warning)
            .MinimumLevel.Override("MassTransit", LogEventLevel.Warning)
            .MinimumLevel.Override("System.Net.Http", LogEventLevel.Warning)
            .ReadFrom.Configuration(configuration)
            .Enrich.FromLogContext()
            .Enrich.With<TraceIdsEnricher>()
            .Enrich.WithProperty("service", service)
            .WriteTo.Console(new JsonFormatter(renderMessage: true))
            .CreateLogger();
        logging.ClearProviders().AddSerilog(logger, dispose: true);
    }

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
