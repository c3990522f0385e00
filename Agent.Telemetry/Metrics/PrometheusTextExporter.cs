using System.Globalization;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Agent.Telemetry.Metrics;

/// <summary>
/// Serves the process's OpenTelemetry metrics in the Prometheus text exposition format 0.0.4, pulled on each scrape:
/// <see cref="Scrape"/> asks <see cref="Reader"/> to collect (the SDK aggregates, applies views and histogram bucket
/// advice) and renders the result. OpenTelemetry.Exporter.Prometheus.* does not restore here, so this is the ~100-line
/// pull exporter reference/observability.md section 3.3 describes.
/// </summary>
/// <remarks>
/// Naming follows the OpenTelemetry "Prometheus and OpenMetrics Compatibility" specification: characters outside
/// <c>[a-zA-Z0-9_:]</c> become <c>_</c>; the unit is appended (<c>s</c> as <c>_seconds</c>, <c>ms</c> as
/// <c>_milliseconds</c>, <c>By</c> as <c>_bytes</c>, <c>USD</c> as <c>_usd</c>; annotations such as <c>{token}</c> and
/// MassTransit's <c>ea</c> are dropped); monotonic sums get <c>_total</c>. Histograms are written as cumulative
/// <c>_bucket{le=...}</c> lines ending with <c>le="+Inf"</c>, then <c>_sum</c> and <c>_count</c> (format:
/// prometheus.io/docs/instrumenting/exposition_formats). Temporality is cumulative, as Prometheus expects.
/// Exponential histograms are not rendered. The exporter keeps the default export modes: a pull-only exporter
/// collects only inside the SDK's internal pull scope (<c>IPullMetricExporter</c>), which is not public; the reader
/// has no timer, so it still exports only when <see cref="Scrape"/> (or shutdown) collects.
/// </remarks>
public sealed class PrometheusTextExporter : BaseExporter<Metric>
{
    /// <summary>The <c>Content-Type</c> of a scrape: <c>text/plain; version=0.0.4; charset=utf-8</c>.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Lock gate = new();
    private string text = string.Empty;

    /// <summary>Initializes a new instance of the <see cref="PrometheusTextExporter"/> class.</summary>
    public PrometheusTextExporter() => Reader = new BaseExportingMetricReader(this);

    /// <summary>Gets the reader to add to the meter provider (<c>AddReader</c>); it collects only when scraped.</summary>
    public MetricReader Reader { get; }

    /// <summary>Collects every metric now and renders them.</summary>
    /// <returns>The exposition text; every line ends with <c>\n</c>. Empty before the reader joins a provider.</returns>
    public string Scrape()
    {
        lock (gate)
        {
            text = string.Empty;
            Reader.Collect();
            return text;
        }
    }

    /// <inheritdoc />
    public override ExportResult Export(in Batch<Metric> batch)
    {
        // One group per metric name even when two meters produce the same name: the format forbids repeating TYPE.
        var groups = new Dictionary<string, (string Type, string Help, StringBuilder Samples)>(StringComparer.Ordinal);
        foreach (var metric in batch)
        {
            var type = metric.MetricType switch
            {
                MetricType.LongSum or MetricType.DoubleSum => "counter",
                MetricType.Histogram => "histogram",
                MetricType.ExponentialHistogram => null,
                _ => "gauge",
            };
            if (type is null)
            {
                continue;
            }

            var name = MetricName(metric.Name, metric.Unit, type);
            if (!groups.TryGetValue(name, out var group))
            {
                group = (type, metric.Description ?? string.Empty, new StringBuilder());
                groups[name] = group;
            }
            else if (group.Type != type)
            {
                continue;
            }

            WritePoints(group.Samples, metric, name, type);
        }

        var output = new StringBuilder();
        foreach (var (name, group) in groups)
        {
            if (group.Help.Length > 0)
            {
                output.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(group.Help)).Append('\n');
            }

            output.Append("# TYPE ").Append(name).Append(' ').Append(group.Type).Append('\n');
            output.Append(group.Samples);
        }

        text = output.ToString();
        return ExportResult.Success;
    }

    /// <summary>Builds the Prometheus name of an OpenTelemetry instrument.</summary>
    /// <param name="name">The instrument name, e.g. <c>gen_ai.client.operation.duration</c>.</param>
    /// <param name="unit">The UCUM unit, e.g. <c>s</c>, or null.</param>
    /// <param name="type"><c>counter</c>, <c>gauge</c> or <c>histogram</c>.</param>
    /// <returns>E.g. <c>gen_ai_client_operation_duration_seconds</c>.</returns>
    internal static string MetricName(string name, string? unit, string type)
    {
        var result = new StringBuilder(Sanitize(name, allowColon: true));
        var suffix = unit switch
        {
            null or "" or "1" or "ea" => null,
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            _ when unit.StartsWith('{') => null,
            _ => Sanitize(unit, allowColon: false).ToLowerInvariant(),
        };
        if (suffix is not null && !result.ToString().EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            result.Append('_').Append(suffix);
        }

        if (type == "counter" && !result.ToString().EndsWith("_total", StringComparison.Ordinal))
        {
            result.Append("_total");
        }

        return result.ToString();
    }

    private static void WritePoints(StringBuilder output, Metric metric, string name, string type)
    {
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var labels = new List<(string Name, string Value)>();
            foreach (var tag in point.Tags)
            {
                labels.Add((Sanitize(tag.Key, allowColon: false), TagValue(tag.Value)));
            }

            if (type == "histogram")
            {
                long cumulative = 0;
                foreach (var bucket in point.GetHistogramBuckets())
                {
                    cumulative += bucket.BucketCount;
                    var le = double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : Number(bucket.ExplicitBound);
                    Sample(output, name + "_bucket", [.. labels, ("le", le)], cumulative.ToString(CultureInfo.InvariantCulture));
                }

                Sample(output, name + "_sum", labels, Number(point.GetHistogramSum()));
                Sample(output, name + "_count", labels, point.GetHistogramCount().ToString(CultureInfo.InvariantCulture));
                continue;
            }

            var value = metric.MetricType switch
            {
                MetricType.LongSum or MetricType.LongSumNonMonotonic => point.GetSumLong().ToString(CultureInfo.InvariantCulture),
                MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic => Number(point.GetSumDouble()),
                MetricType.LongGauge => point.GetGaugeLastValueLong().ToString(CultureInfo.InvariantCulture),
                _ => Number(point.GetGaugeLastValueDouble()),
            };
            Sample(output, name, labels, value);
        }
    }

    private static void Sample(StringBuilder output, string name, List<(string Name, string Value)> labels, string value)
    {
        output.Append(name);
        if (labels.Count > 0)
        {
            output.Append('{');
            for (var i = 0; i < labels.Count; i++)
            {
                if (i > 0)
                {
                    output.Append(',');
                }

                output.Append(labels[i].Name).Append("=\"").Append(EscapeLabel(labels[i].Value)).Append('"');
            }

            output.Append('}');
        }

        output.Append(' ').Append(value).Append('\n');
    }

    private static string TagValue(object? value) => value switch
    {
        null => string.Empty,
        bool b => b ? "true" : "false",
        double d => Number(d),
        float f => Number(f),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };

    private static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    private static string Sanitize(string name, bool allowColon)
    {
        var result = new StringBuilder(name.Length + 1);
        foreach (var c in name)
        {
            result.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || (allowColon && c == ':') ? c : '_');
        }

        if (result.Length == 0 || char.IsAsciiDigit(result[0]))
        {
            result.Insert(0, '_');
        }

        return result.ToString();
    }

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
