using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace Agent.Hosting;

/// <summary>
/// Configures Serilog JSON logs to the console for the API and the worker (linked into both projects).
/// Serilog.AspNetCore does not restore here; this is NUGET.md's replacement: Serilog + Serilog.Extensions.Logging.
/// </summary>
internal static class AgentLogging
{
    /// <summary>
    /// Replaces the logging providers with Serilog writing one JSON object per line (Serilog's
    /// <see cref="JsonFormatter"/>: Timestamp, Level, MessageTemplate, RenderedMessage, TraceId, SpanId, Properties).
    /// Scopes such as <c>run_id</c>/<c>thread_id</c> become properties. Levels come from the <c>Serilog</c>
    /// configuration section; framework noise defaults to Warning.
    /// </summary>
    /// <param name="logging">The logging builder.</param>
    /// <param name="configuration">The configuration.</param>
    /// <param name="service">The service name added to every line, e.g. <c>agent-api</c>.</param>
    public static void AddAgentLogging(
this ILoggingBuilder logging, IConfiguration configuration, string service)
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
            .Enrich.WithProperty("service", service)
            .WriteTo.Console(new JsonFormatter(renderMessage: true))
            .CreateLogger();
        logging.ClearProviders().AddSerilog(logger, dispose: true);
    }
}
