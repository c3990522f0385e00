using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Agent.Telemetry.Metrics;

/// <summary>Maps <c>GET /metrics</c>: the process's metrics in the Prometheus text format (<see cref="PrometheusTextExporter"/>).</summary>
public static class PrometheusEndpoint
{
    /// <summary>Maps the endpoint.</summary>
    /// <param name="endpoints">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapPrometheusMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/metrics", (PrometheusTextExporter exporter) => Results.Text(exporter.Scrape(), PrometheusTextExporter.ContentType))
            .WithTags("System").WithName("Metrics").ExcludeFromDescription()
            .AllowAnonymous(); // scraped by Prometheus; counts only, no tenant data
        return endpoints;
    }
}
