using Microsoft.AspNetCore.Http;

namespace Agent.Telemetry.Http;

/// <summary>
/// Tells probe and scrape requests (<c>/metrics</c>, <c>/health/*</c>, <c>/ok</c>) from real ones: they are neither
/// traced nor logged at Information, since a scraper or a kubelet every few seconds would otherwise fill the trace store
/// and the logs.
/// </summary>
public static class ProbeRequests
{
    /// <summary>Gets whether the path is a probe's or a scraper's.</summary>
    /// <param name="path">The request path.</param>
    /// <returns>True for <c>/metrics</c>, <c>/health</c> and below, and <c>/ok</c>.</returns>
    public static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/metrics") || path.StartsWithSegments("/health") || path.StartsWithSegments("/ok");
}
