using Agent.Telemetry;
using Agent.Telemetry.Health;
using Agent.Telemetry.Http;
using Microsoft.Extensions.Configuration;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Wires OpenTelemetry into a process through OpenTelemetry.Extensions.Hosting: the runtime's source and meter, the
/// instrumentation libraries (ASP.NET Core, HttpClient, Npgsql, runtime), OTLP export when configured, the Prometheus
/// exporter behind <c>/metrics</c>, and the readiness checks of PostgreSQL and RabbitMQ.
/// </summary>
public static class AgentTelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Adds tracing and metrics: the runtime's source and meter plus <see cref="AgentTelemetry.FrameworkSources"/> and
    /// <see cref="AgentTelemetry.FrameworkMeters"/>; HTTP server spans and metrics (probes and scrapes are not traced:
    /// <see cref="ProbeRequests"/>), HTTP client, Npgsql and runtime instrumentation; OTLP export when an endpoint is
    /// configured (<see cref="TelemetryOptions"/>); the Prometheus exporter that <c>MapAgentMetrics</c> serves; the
    /// readiness checks (<see cref="AgentHealthChecks.AddAgentReadinessChecks"/>). Call it before the bus is added:
    /// hosted services start in registration order, so the providers exist before the bus starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration (section <c>Telemetry</c> and <c>OTEL_*</c> variables).</param>
    /// <param name="serviceName">The <c>service.name</c> resource attribute, e.g. <c>agent-api</c>.</param>
    /// <param name="rabbitMq">The RabbitMQ URI the bus uses (for the <c>rabbitmq</c> readiness check).</param>
    /// <returns>The services.</returns>
    /// <exception cref="InvalidOperationException">The OTLP protocol setting is invalid.</exception>
    public static IServiceCollection AddAgentTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName, Uri rabbitMq)
    {
        var options = TelemetryOptions.From(configuration);
        services.AddSingleton(options);
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                serviceName,
                serviceVersion: AgentTelemetry.Source.Version,
                serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(AgentTelemetry.Name).AddSource([.. AgentTelemetry.FrameworkSources])
                    .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !ProbeRequests.IsProbe(context.Request.Path))
                    .AddHttpClientInstrumentation()
                    .AddNpgsql();
                if (options.SignalEndpoint("traces") is { } endpoint)
                {
                    tracing.AddOtlpExporter(otlp =>
                    {
                        otlp.Endpoint = endpoint;
                        otlp.Protocol = options.ExportProtocol;
                    });
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(AgentTelemetry.Name).AddMeter([.. AgentTelemetry.FrameworkMeters])
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation()
                    .AddPrometheusExporter(prometheus =>
                    {
                        // No response cache: every scrape collects, so two scrapes in a row never disagree with the counters.
                        prometheus.ScrapeResponseCacheDurationMilliseconds = 0;
                        // No otel_scope_name label on every series: the series stay those the dashboard and the alert
                        // rules query, and no two of our meters share an instrument name.
                        prometheus.ScopeInfoEnabled = false;
                    });
                if (options.SignalEndpoint("metrics") is { } endpoint)
                {
                    metrics.AddOtlpExporter(otlp =>
                    {
                        otlp.Endpoint = endpoint;
                        otlp.Protocol = options.ExportProtocol;
                    });
                }
            });
        services.AddAgentReadinessChecks(rabbitMq);
        return services;
    }
}
