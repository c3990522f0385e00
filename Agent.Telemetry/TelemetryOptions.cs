using Microsoft.Extensions.Configuration;
using OpenTelemetry.Exporter;

namespace Agent.Telemetry;

/// <summary>
/// Telemetry settings shared by the API and the workers (configuration section <c>Telemetry</c>, e.g.
/// <c>Telemetry__OtlpEndpoint=http://otel-collector:4317</c>). Standard <c>OTEL_*</c> variables are honoured where
/// noted; the OpenTelemetry SDK also reads its own (<c>OTEL_BSP_SCHEDULE_DELAY</c>, <c>OTEL_METRIC_EXPORT_INTERVAL</c>,
/// <c>OTEL_TRACES_SAMPLER</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c> ...).
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Telemetry";

    /// <summary>
    /// Gets or sets the OTLP receiver traces and metrics are exported to: the base address, e.g.
    /// <c>http://localhost:4317</c> (gRPC) or <c>http://localhost:4318</c> (HTTP; <c>/v1/traces</c> and
    /// <c>/v1/metrics</c> are appended). From <c>Telemetry:OtlpEndpoint</c>, else <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>.
    /// Default is null: no OTLP export (the Prometheus <c>/metrics</c> endpoint still works).
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>
    /// Gets or sets the OTLP protocol: <c>grpc</c> or <c>http/protobuf</c>. From <c>Telemetry:OtlpProtocol</c>, else
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>. Default is <c>grpc</c>, the OTLP exporter's own default.
    /// </summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>
    /// Gets or sets a value indicating whether prompts and completions are recorded: as the GenAI
    /// <c>gen_ai.input.messages</c>/<c>gen_ai.output.messages</c> attributes of <c>chat</c> spans and in a
    /// <c>gen_ai.client.inference.operation.details</c> log event. The GenAI conventions say instrumentations SHOULD NOT
    /// capture content by default; it may hold personal data. Default is false. From
    /// <c>Telemetry:CaptureMessageContent</c> or <c>OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true</c>.
    /// </summary>
    public bool CaptureMessageContent { get; set; }

    /// <summary>
    /// Gets or sets how long the deep health check's result is reused, in seconds: at most one probe model call per
    /// interval. From <c>Telemetry:DeepCheckIntervalSeconds</c>. Default is 60.
    /// </summary>
    public int DeepCheckIntervalSeconds { get; set; } = 60;

    /// <summary>Gets or sets the deep health check's deadline for the model call, in seconds. Default is 30.</summary>
    public int DeepCheckTimeoutSeconds { get; set; } = 30;

    /// <summary>Gets or sets how often a worker reads the run queue's depth from RabbitMQ, in seconds. Default is 15.</summary>
    public int QueueDepthIntervalSeconds { get; set; } = 15;

    /// <summary>Gets <see cref="DeepCheckIntervalSeconds"/> as a time span.</summary>
    public TimeSpan DeepCheckInterval => TimeSpan.FromSeconds(DeepCheckIntervalSeconds);

    /// <summary>Gets <see cref="DeepCheckTimeoutSeconds"/> as a time span.</summary>
    public TimeSpan DeepCheckTimeout => TimeSpan.FromSeconds(DeepCheckTimeoutSeconds);

    /// <summary>Gets the OTLP protocol as the exporter's enumeration.</summary>
    /// <exception cref="InvalidOperationException">The protocol is neither <c>grpc</c> nor <c>http/protobuf</c>.</exception>
    public OtlpExportProtocol ExportProtocol => OtlpProtocol.Trim().ToLowerInvariant() switch
    {
        "grpc" => OtlpExportProtocol.Grpc,
        "http/protobuf" or "http" => OtlpExportProtocol.HttpProtobuf,
        _ => throw new InvalidOperationException($"Telemetry:OtlpProtocol must be 'grpc' or 'http/protobuf', not '{OtlpProtocol}'."),
    };

    /// <summary>Reads the options from configuration (environment variables included).</summary>
    /// <param name="configuration">The configuration.</param>
    /// <returns>The options.</returns>
    /// <exception cref="UriFormatException">The endpoint is not an absolute URI.</exception>
    public static TelemetryOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var endpoint = FirstSet(section["OtlpEndpoint"], configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var capture = FirstSet(section["CaptureMessageContent"], configuration["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"]);
        return new TelemetryOptions
        {
            OtlpEndpoint = endpoint is null ? null : new Uri(endpoint, UriKind.Absolute),
            OtlpProtocol = FirstSet(section["OtlpProtocol"], configuration["OTEL_EXPORTER_OTLP_PROTOCOL"]) ?? "grpc",
            CaptureMessageContent = capture is not null && bool.TryParse(capture, out var on) && on,
            DeepCheckIntervalSeconds = Positive(section, "DeepCheckIntervalSeconds", 60),
            DeepCheckTimeoutSeconds = Positive(section, "DeepCheckTimeoutSeconds", 30),
            QueueDepthIntervalSeconds = Positive(section, "QueueDepthIntervalSeconds", 15),
        };
    }

    /// <summary>Builds the exporter endpoint of one signal: the base for gRPC, base + <c>/v1/{signal}</c> for HTTP.</summary>
    /// <param name="signal"><c>traces</c> or <c>metrics</c>.</param>
    /// <returns>The endpoint, or null when export is off.</returns>
    public Uri? SignalEndpoint(string signal)
    {
        if (OtlpEndpoint is null)
        {
            return null;
        }

        // The OTLP exporter README: with HttpProtobuf and a programmatic Endpoint, the full signal URL must be given.
        return ExportProtocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(OtlpEndpoint.ToString().TrimEnd('/') + "/v1/" + signal)
            : OtlpEndpoint;
    }

    private static int Positive(IConfiguration section, string key, int fallback)
    {
        var value = section.GetValue<int?>(key) ?? fallback;
        return value > 0 ? value : throw new InvalidOperationException($"Telemetry:{key} must be a positive number of seconds, not {value}.");
    }

    private static string? FirstSet(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
