using System.ComponentModel;
using ModelContextProtocol.Server;

namespace SupportAgent.StatusServer;

/// <summary>The server's tools: the (made-up) service status of Skiff's regions.</summary>
/// <param name="logger">Logs each call, with the caller's idempotency key, so the sample's end-to-end test can count them.</param>
[McpServerToolType]
internal sealed partial class StatusTools(ILogger<StatusTools> logger)
{
    // Region → status. eu-west has an open incident so that the sample's answers have something to report.
    private static readonly Dictionary<string, (string Status, string Note)> Regions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["eu-west"] = ("degraded", "Incident SK-2041: restores from cold storage are slower than usual; backups are unaffected."),
        ["us-east"] = ("operational", "No incident."),
        ["ap-south"] = ("operational", "No incident."),
    };

    /// <summary>Gets a region's service status.</summary>
    /// <param name="region">The region, e.g. <c>eu-west</c>.</param>
    /// <param name="context">The request, whose <c>_meta</c> may carry the worker's idempotency key.</param>
    /// <returns>The status and its note.</returns>
    /// <exception cref="ArgumentException">The region is unknown (the client sees a tool error).</exception>
    [McpServerTool(Name = "service_status"), Description("Gets the current service status of a Skiff region (eu-west, us-east, ap-south).")]
    public object ServiceStatus([Description("The region, e.g. eu-west.")] string region, RequestContext<ModelContextProtocol.Protocol.CallToolRequestParams> context)
    {
        var key = context.Params?.Meta?["idempotency_key"]?.ToString();
        LogCalled(logger, region, key);
        return Regions.TryGetValue(region, out var status)
            ? new { region = region.ToLowerInvariant(), status = status.Status, note = status.Note }
            : throw new ArgumentException($"Unknown region '{region}'; the regions are {string.Join(", ", Regions.Keys)}.", nameof(region));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "service_status called for region {Region} (idempotency key {IdempotencyKey})")]
    private static partial void LogCalled(ILogger logger, string region, string? idempotencyKey);
}
