using System.Globalization;
using System.Text.Json.Nodes;

namespace Agent.Benchmarks;

/// <summary>
/// A summary of samples (ms, bytes, ...): count, mean, p50, p90, p99 and max. Percentiles are nearest-rank
/// (the smallest sample with at least p% of the samples at or below it), so every figure is a real sample.
/// </summary>
internal sealed record Distribution(int Count, double Mean, double P50, double P90, double P99, double Max)
{
    /// <summary>Summarises samples.</summary>
    /// <param name="samples">The samples, in any order.</param>
    /// <returns>The summary; all zeros when there are no samples.</returns>
    public static Distribution Of(IEnumerable<double> samples)
    {
        var sorted = samples.Order().ToArray();
        if (sorted.Length == 0)
        {
            return new Distribution(0, 0, 0, 0, 0, 0);
        }

        return new Distribution(
            sorted.Length, sorted.Average(), Rank(sorted, 50), Rank(sorted, 90), Rank(sorted, 99), sorted[^1]);
    }

    /// <summary>Formats a figure for the report: three significant-looking digits, invariant culture.</summary>
    /// <param name="value">The value.</param>
    /// <returns>E.g. <c>0.842</c>, <c>12.4</c>, <c>1,234</c>.</returns>
    public static string Format(double value) =>
        Math.Abs(value) switch
        {
            < 10 => value.ToString("0.000", CultureInfo.InvariantCulture),
            < 100 => value.ToString("0.0", CultureInfo.InvariantCulture),
            _ => value.ToString("#,0", CultureInfo.InvariantCulture),
        };

    /// <summary>Gets the summary as JSON.</summary>
    /// <returns>An object with count, mean, p50, p90, p99, max.</returns>
    public JsonObject ToJson() => new()
    {
        ["count"] = Count,
        ["mean"] = Math.Round(Mean, 4),
        ["p50"] = Math.Round(P50, 4),
        ["p90"] = Math.Round(P90, 4),
        ["p99"] = Math.Round(P99, 4),
        ["max"] = Math.Round(Max, 4),
    };

    private static double Rank(double[] sorted, int percent)
    {
        var rank = (int)Math.Ceiling(percent / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
