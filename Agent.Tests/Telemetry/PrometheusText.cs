using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Agent.Tests.Telemetry;

/// <summary>One sample line of a Prometheus text exposition.</summary>
/// <param name="Name">The sample name, e.g. <c>x_bucket</c>.</param>
/// <param name="Labels">The labels.</param>
/// <param name="Value">The value.</param>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict reader of the Prometheus text exposition format 0.0.4, written independently of the exporter under test
/// (prometheus.io/docs/instrumenting/exposition_formats): it throws <see cref="FormatException"/> for a malformed line,
/// a TYPE after its samples or repeated, a family split in two, a duplicate series, an unknown type, or a histogram
/// whose buckets are not cumulative, not in increasing <c>le</c> order, or lack a <c>+Inf</c> bucket equal to
/// <c>_count</c>.
/// </summary>
internal sealed partial class PrometheusText
{
    private PrometheusText(Dictionary<string, string> types, List<PrometheusSample> samples)
    {
        Types = types;
        Samples = samples;
    }

    /// <summary>Gets the declared type of each metric family.</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>Gets the samples, in order.</summary>
    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>Parses and validates an exposition.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The parsed exposition.</returns>
    /// <exception cref="FormatException">The text breaks the format.</exception>
    public static PrometheusText Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("The exposition must end with a line feed.");
        }

        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        var series = new HashSet<string>(StringComparer.Ordinal);
        var finishedFamilies = new HashSet<string>(StringComparer.Ordinal);
        string? currentFamily = null;
        foreach (var line in text.Split('\n').SkipLast(1))
        {
            if (line.StartsWith('#'))
            {
                var comment = CommentLine().Match(line);
                if (!comment.Success)
                {
                    continue; // A plain comment.
                }

                var name = comment.Groups["name"].Value;
                if (comment.Groups["kind"].Value == "TYPE")
                {
                    var type = comment.Groups["rest"].Value;
                    if (type is not ("counter" or "gauge" or "histogram" or "summary" or "untyped"))
                    {
                        throw new FormatException($"Unknown type '{type}' for {name}.");
                    }

                    if (!types.TryAdd(name, type) || finishedFamilies.Contains(name) || samples.Any(s => Family(s.Name, types) == name))
                    {
                        throw new FormatException($"TYPE of {name} repeated or after its samples.");
                    }
                }

                Switch(name);
                continue;
            }

            var match = SampleLine().Match(line);
            if (!match.Success)
            {
                throw new FormatException($"Malformed sample line: {line}");
            }

            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
            {
                if (!labels.TryAdd(label.Groups["name"].Value, Unescape(label.Groups["value"].Value)))
                {
                    throw new FormatException($"Label {label.Groups["name"].Value} repeated: {line}");
                }
            }

            var sample = new PrometheusSample(match.Groups["name"].Value, labels, ParseValue(match.Groups["value"].Value));
            var key = sample.Name + "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}";
            if (!series.Add(key))
            {
                throw new FormatException($"Duplicate series {key}.");
            }

            Switch(Family(sample.Name, types));
            samples.Add(sample);
        }

        var parsed = new PrometheusText(types, samples);
        parsed.CheckHistograms();
        return parsed;

        void Switch(string family)
        {
            if (family == currentFamily)
            {
                return;
            }

            if (finishedFamilies.Contains(family))
            {
                throw new FormatException($"The lines of {family} are not grouped together.");
            }

            if (currentFamily is not null)
            {
                finishedFamilies.Add(currentFamily);
            }

            currentFamily = family;
        }
    }

    /// <summary>Gets the value of the one sample with this name whose labels include <paramref name="labels"/>, or 0.</summary>
    /// <param name="name">The sample name.</param>
    /// <param name="labels">Labels the sample must carry.</param>
    /// <returns>The value (sum of matching samples), 0 when none matches.</returns>
    public double Value(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value)).Sum(s => s.Value);

    private static string Family(string sampleName, Dictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal)
                && types.TryGetValue(sampleName[..^suffix.Length], out var type) && type is "histogram" or "summary")
            {
                return sampleName[..^suffix.Length];
            }
        }

        return sampleName;
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" or "Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"Bad sample value '{text}'."),
    };

    private static string Unescape(string value)
    {
        var result = new StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '\\')
            {
                result.Append(value[i]);
                continue;
            }

            result.Append(value[++i] switch
            {
                'n' => '\n',
                '\\' => '\\',
                '"' => '"',
                var other => throw new FormatException($"Bad escape \\{other} in a label value."),
            });
        }

        return result.ToString();
    }

    private void CheckHistograms()
    {
        foreach (var family in Types.Where(t => t.Value == "histogram").Select(t => t.Key))
        {
            var buckets = Samples.Where(s => s.Name == family + "_bucket")
                .GroupBy(s => string.Join(",", s.Labels.Where(l => l.Key != "le").OrderBy(l => l.Key, StringComparer.Ordinal)));
            foreach (var series in buckets)
            {
                var list = series.ToList();
                if (list.Any(s => !s.Labels.ContainsKey("le")))
                {
                    throw new FormatException($"A bucket of {family} has no le label.");
                }

                var bounds = list.Select(s => ParseValue(s.Labels["le"])).ToList();
                for (var i = 1; i < list.Count; i++)
                {
                    if (bounds[i] <= bounds[i - 1] || list[i].Value < list[i - 1].Value)
                    {
                        throw new FormatException($"The buckets of {family}{{{series.Key}}} are not cumulative in increasing le order.");
                    }
                }

                var labels = list[0].Labels.Where(l => l.Key != "le").ToDictionary(l => l.Key, l => l.Value, StringComparer.Ordinal);
                var count = Samples.SingleOrDefault(s => s.Name == family + "_count" && SameLabels(s.Labels, labels))
                    ?? throw new FormatException($"{family}{{{series.Key}}} has no _count.");
                if (!double.IsPositiveInfinity(bounds[^1]) || list[^1].Value != count.Value)
                {
                    throw new FormatException($"{family}{{{series.Key}}}: the +Inf bucket is missing or differs from _count.");
                }

                if (!Samples.Any(s => s.Name == family + "_sum" && SameLabels(s.Labels, labels)))
                {
                    throw new FormatException($"{family}{{{series.Key}}} has no _sum.");
                }
            }
        }
    }

    private static bool SameLabels(IReadOnlyDictionary<string, string> a, Dictionary<string, string> b) =>
        a.Count == b.Count && a.All(l => b.TryGetValue(l.Key, out var v) && v == l.Value);

    [GeneratedRegex("""^# (?<kind>HELP|TYPE) (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) (?<rest>.*)$""")]
    private static partial Regex CommentLine();

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*)\})? (?<value>\S+)(?: -?\d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(?:[^""\\\n]|\\.)*)""")]
    private static partial Regex LabelPair();
}
