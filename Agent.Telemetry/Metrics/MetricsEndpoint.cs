using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OpenTelemetry.Metrics;

namespace Agent.Telemetry.Metrics;

/// <summary>
/// Maps <c>GET /metrics</c>: the process's metrics in the Prometheus text format (0.0.4, or OpenMetrics 1.0 when the
/// scraper asks for it), from the OpenTelemetry Prometheus exporter that <c>AddAgentTelemetry</c> adds.
/// </summary>
public static class MetricsEndpoint
{
    /// <summary>The path: <c>/metrics</c>.</summary>
    public const string Path = "/metrics";

    /// <summary>Maps the endpoint on the application's own meter provider.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <param name="meterProvider">
    /// The meter provider whose Prometheus exporter answers; default (null) is the one in <paramref name="endpoints"/>'s
    /// services. The worker's management server passes the worker host's provider.
    /// </param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapAgentMetrics(this IEndpointRouteBuilder endpoints, MeterProvider? meterProvider = null)
    {
        endpoints.MapPrometheusScrapingEndpoint(Path, meterProvider, configureBranchedPipeline: null, optionsName: null)
            .WithTags("System").WithName("Metrics").ExcludeFromDescription()
            .AllowAnonymous(); // scraped by Prometheus; counts only, no tenant data
        return endpoints;
    }
}
