using System.Text.Json;
using System.Text.Json.Serialization;

namespace Agent.Worker.Evaluation;

/// <summary>The figures of one category (or <c>all</c>), in percent of its questions, one decimal.</summary>
/// <param name="Questions">How many questions.</param>
/// <param name="HitAt1">Search: an answering page is the first result.</param>
/// <param name="HitAt3">Search: an answering page is among the first 3 results.</param>
/// <param name="HitAt5">Search: an answering page is among the first 5 results.</param>
/// <param name="Cited">Agent: the answer cites an answering page.</param>
internal sealed record CategoryFigures(
    [property: JsonPropertyName("questions")] int Questions,
    [property: JsonPropertyName("hit_at_1")] double HitAt1,
    [property: JsonPropertyName("hit_at_3")] double HitAt3,
    [property: JsonPropertyName("hit_at_5")] double HitAt5,
    [property: JsonPropertyName("cited")] double Cited);

/// <summary>
/// The eval's figures by category (<c>eval/figures.json</c>, kept in the repository), and the gate that compares a
/// new run with them.
/// </summary>
internal static class EvalFigures
{
    /// <summary>How far (percentage points) a figure may fall below the recorded one before the gate fails: 2.</summary>
    public const double Tolerance = 2.0;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Reads recorded figures.</summary>
    /// <param name="path">The file.</param>
    /// <returns>Figures by category.</returns>
    public static SortedDictionary<string, CategoryFigures> Read(string path) =>
        JsonSerializer.Deserialize<SortedDictionary<string, CategoryFigures>>(File.ReadAllText(path), Json)
        ?? throw new FormatException($"{path} holds no figures.");

    /// <summary>Writes figures.</summary>
    /// <param name="path">The file.</param>
    /// <param name="figures">Figures by category.</param>
    public static void Write(string path, SortedDictionary<string, CategoryFigures> figures) =>
        File.WriteAllText(path, JsonSerializer.Serialize(figures, Json) + "\n");

    /// <summary>
    /// Every figure that fell more than <see cref="Tolerance"/> points below the recorded one, and every recorded
    /// category missing from the run.
    /// </summary>
    /// <param name="recorded">The recorded figures.</param>
    /// <param name="measured">This run's figures.</param>
    /// <returns>One line per regression; empty when the gate passes.</returns>
    public static List<string> Regressions(
        IReadOnlyDictionary<string, CategoryFigures> recorded, IReadOnlyDictionary<string, CategoryFigures> measured)
    {
        var regressions = new List<string>();
        foreach (var (category, before) in recorded)
        {
            if (!measured.TryGetValue(category, out var now))
            {
                regressions.Add($"{category}: no questions in this run");
                continue;
            }

            void Compare(string figure, double was, double @is)
            {
                if (@is < was - Tolerance)
                {
                    regressions.Add($"{category} {figure}: {@is:F1}% < recorded {was:F1}% - {Tolerance} points");
                }
            }

            Compare("hit@1", before.HitAt1, now.HitAt1);
            Compare("hit@3", before.HitAt3, now.HitAt3);
            Compare("hit@5", before.HitAt5, now.HitAt5);
            Compare("cited", before.Cited, now.Cited);
        }

        return regressions;
    }
}
