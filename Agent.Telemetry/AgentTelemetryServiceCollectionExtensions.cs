using Agent.Telemetry;
using Agent.Telemetry.Health;
using Agent.Telemetry.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Wires OpenTelemetry into a process without OpenTelemetry.Extensions.Hosting (absent here): builds the SDK with
/// <see cref="OpenTelemetrySdk.Create"/>, registers it so the container disposes (flushes) it at shutdown, and adds
/// the Prometheus pull exporter and the health checks.
/// </summary>
public static class AgentTelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Adds tracing and metrics: the runtime's source and meter plus <see cref="AgentTelemetry.FrameworkSources"/> and
    /// <see cref="AgentTelemetry.FrameworkMeters"/>; OTLP export when an endpoint is configured
    /// (<see cref="TelemetryOptions"/>); a <see cref="PrometheusTextExporter"/> for <c>/metrics</c>; the readiness
    /// check of PostgreSQL (tag <c>ready</c>; MassTransit adds its bus check with the same tag). Call it before the bus
    /// is added so the SDK exists before anything it should observe starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration (section <c>Telemetry</c> and <c>OTEL_*</c> variables).</param>
    /// <param name="serviceName">The <c>service.name</c> resource attribute, e.g. <c>agent-api</c>.</param>
    /// <returns>The services.</returns>
    /// <exception cref="InvalidOperationException">The OTLP protocol setting is invalid.</exception>
    public static IServiceCollection AddAgentTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        // ASP.NET Core 10 leaves its request activity without HTTP tags unless this switch is off (it flips in .NET 11).
        AppContext.SetSwitch("Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData", false);

        var options = TelemetryOptions.From(configuration);
        var prometheus = new PrometheusTextExporter();
        // Built now, not lazily, so that every span from the host's start on is seen; the factory registration below
        // makes the container own it, and the container disposes it after the hosted services (the bus) stopped.
        var sdk = OpenTelemetrySdk.Create(builder => builder
            .ConfigureResource(resource => resource.AddService(
                serviceName,
                serviceVersion: AgentTelemetry.Source.Version,
                serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}"))
            .WithTracing(tracing =>
            {
                tracing.AddSource(AgentTelemetry.Name).AddSource([.. AgentTelemetry.FrameworkSources]);
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
                metrics.AddMeter(AgentTelemetry.Name).AddMeter([.. AgentTelemetry.FrameworkMeters]).AddReader(prometheus.Reader);
                if (options.SignalEndpoint("metrics") is { } endpoint)
                {
                    metrics.AddOtlpExporter(otlp =>
                    {
                        otlp.Endpoint = endpoint;
                        otlp.Protocol = options.ExportProtocol;
                    });
                }
            }));

        services.AddSingleton(options);
        services.AddSingleton(_ => sdk);
        services.AddSingleton(prometheus);
        services.AddHostedService<TelemetryLifetime>();
        services.AddHealthChecks().AddCheck<PostgresHealthCheck>(PostgresHealthCheck.Name, tags: [AgentHealthChecks.ReadyTag]);
        return services;
    }

    /// <summary>Resolves the SDK at start so that the container owns it and disposes (flushes) it at shutdown.</summary>
    /// <param name="sdk">The SDK.</param>
    private sealed class TelemetryLifetime(OpenTelemetrySdk sdk) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) =>
            sdk.TracerProvider is null ? throw new InvalidOperationException("Tracing is not configured.") : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
