namespace Agent.Worker.Models.Offline;

/// <summary>
/// Picks the sentences of retrieved passages that best answer a question: a pure, deterministic function of the
/// question and the passages.
/// </summary>
/// <remarks>
/// <para>
/// Each passage is split into units (<see cref="SentenceSplitter"/>); a prose lead-in ending in <c>:</c> stays with
/// the code statement that follows it ("To create such an index, do one of:" + <c>CREATE INDEX ...;</c>). A
/// candidate scores the inverse document frequency, <c>ln(1 + N / df)</c> over the N candidates, of each question
/// content word it contains (<see cref="TermAnalyzer"/>; weighted <see cref="TermAnalyzer.IdentifierPartWeight"/>
/// for a word seen only inside an identifier), plus a quarter of that for question words found only in the
/// passage's title or heading. That sum is multiplied by a rank prior <c>1 + 0.3 × (1 − passage index / passage
/// count)</c> favouring better-ranked passages; by a density factor <c>0.5 + 0.5 × matched words / content words</c>
/// so that a short sentence about the question beats a long one that mentions it in passing (the idea of BM25's
/// length normalisation); by 1.1 for code and 0.75 for candidates over 400 characters.
/// </para>
/// <para>
/// Selection is greedy: each round takes the candidate with the highest gain, where question words already quoted
/// count half, so later quotes add what earlier ones lack, and a candidate next to a chosen one gains 1.25 times, so
/// quotes read as continuous text. It stops at <c>maxQuotes</c>, when no candidate fits in what is left of
/// <c>maxChars</c>, or when the best gain falls under <see cref="MinRelativeGain"/> of the first quote's score.
/// </para>
/// </remarks>
internal static class QuoteSelector
{
    /// <summary>The default maximum number of quotes (4).</summary>
    public const int DefaultMaxQuotes = 4;

    /// <summary>The default budget for all quotes together (900 characters).</summary>
    public const int DefaultMaxChars = 900;

    /// <summary>The fraction of the best score under which a candidate is not worth quoting (0.3).</summary>
    public const double MinRelativeGain = 0.3;

    private const double CoveredTermWeight = 0.5;
    private const double ContextWeight = 0.25;
    private const double RankPriorWeight = 0.3;
    private const double CodeBonus = 1.1;
    private const double AdjacencyBonus = 1.25;
    private const int LongUnitChars = 400;
    private const double LongUnitPenalty = 0.75;

    /// <summary>Selects up to <paramref name="maxQuotes"/> quotes for <paramref name="question"/>.</summary>
    /// <param name="question">The user's question.</param>
    /// <param name="passages">The passages, best-ranked first.</param>
    /// <param name="maxQuotes">The maximum number of quotes; default <see cref="DefaultMaxQuotes"/>.</param>
    /// <param name="maxChars">The budget in characters for all quotes; default <see cref="DefaultMaxChars"/>.</param>
    /// <returns>
    /// The quotes in reading order: passages in the order their best quote was chosen, units in passage order within
    /// a passage; empty when no sentence shares a content word with the question.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxQuotes"/> or <paramref name="maxChars"/> is not positive.</exception>
    public static IReadOnlyList<Quote> Select(
        string question,
        IReadOnlyList<SearchPassage> passages,
        int maxQuotes = DefaultMaxQuotes,
        int maxChars = DefaultMaxChars)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxQuotes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChars);

        var questionTerms = TermAnalyzer.ContentTerms(question);
        if (questionTerms.Count == 0 || passages.Count == 0)
        {
            return [];
        }

        var candidates = BuildCandidates(passages);
        var idf = InverseDocumentFrequencies(questionTerms, candidates);
        var covered = new HashSet<string>(StringComparer.Ordinal);
        var chosen = new List<Quote>();
        var best = candidates.Count == 0 ? 0 : candidates.Max(c => Gain(c, questionTerms, idf, covered, [], passages.Count));
        if (best <= 0)
        {
            return [];
        }

        var remaining = new List<Candidate>(candidates);
        var usedChars = 0;
        while (chosen.Count < maxQuotes && remaining.Count > 0)
        {
            Candidate? next = null;
            var nextGain = 0.0;
            foreach (var candidate in remaining)
            {
                var fits = usedChars + candidate.Length <= maxChars || chosen.Count == 0;
                var gain = fits ? Gain(candidate, questionTerms, idf, covered, chosen, passages.Count) : 0;
                if (gain > nextGain)
                {
                    (next, nextGain) = (candidate, gain);
                }
            }

            if (next is null || nextGain < MinRelativeGain * best)
            {
                break;
            }

            remaining.Remove(next);
            if (chosen.Any(q => SameText(q.Units, next.Units)))
            {
                continue;
            }

            var units = next.Length <= maxChars ? next.Units : Truncate(next.Units, maxChars);
            chosen.Add(new Quote(next.PassageIndex, next.FirstUnit, next.FirstUnit + units.Count - 1, units, nextGain));
            usedChars += units.Sum(u => u.Text.Length + 1);
            covered.UnionWith(questionTerms.Where(next.Terms.ContainsKey));
        }

        var passageOrder = chosen.Select(q => q.PassageIndex).Distinct().ToList();
        return [.. chosen.OrderBy(q => passageOrder.IndexOf(q.PassageIndex)).ThenBy(q => q.FirstUnit)];
    }

    private static List<Candidate> BuildCandidates(IReadOnlyList<SearchPassage> passages)
    {
        var candidates = new List<Candidate>();
        for (var p = 0; p < passages.Count; p++)
        {
            var passage = passages[p];
            var context = TermAnalyzer.WeightedTerms($"{passage.Title} {passage.Heading}");
            var units = SentenceSplitter.Split(passage.Text);
            for (var u = 0; u < units.Count; u++)
            {
                var isLeadIn = !units[u].IsCode && units[u].Text.EndsWith(':') && u + 1 < units.Count && units[u + 1].IsCode;
                IReadOnlyList<TextUnit> group = isLeadIn ? [units[u], units[u + 1]] : [units[u]];
                candidates.Add(new Candidate(p, u, group, TermAnalyzer.WeightedTerms(string.Join(' ', group.Select(g => g.Text))), context));
                u += group.Count - 1;
            }
        }

        return candidates;
    }

    private static Dictionary<string, double> InverseDocumentFrequencies(
        IReadOnlyList<string> questionTerms, List<Candidate> candidates)
    {
        var idf = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var term in questionTerms)
        {
            var df = candidates.Count(c => c.Terms.ContainsKey(term));
            // A word only in titles or headings still counts a little through the context bonus.
            idf[term] = Math.Log(1 + ((double)candidates.Count / Math.Max(df, 1)));
        }

        return idf;
    }

    private static double Gain(
        Candidate candidate,
        IReadOnlyList<string> questionTerms,
        Dictionary<string, double> idf,
        HashSet<string> covered,
        List<Quote> chosen,
        int passageCount)
    {
        var matched = 0.0;
        var context = 0.0;
        foreach (var term in questionTerms)
        {
            var novelty = covered.Contains(term) ? CoveredTermWeight : 1.0;
            if (candidate.Terms.TryGetValue(term, out var weight))
            {
                matched += idf[term] * weight * novelty;
            }
            else if (candidate.Context.TryGetValue(term, out var contextWeight))
            {
                context += idf[term] * contextWeight * novelty * ContextWeight;
            }
        }

        if (matched <= 0)
        {
            return 0;
        }

        var prior = 1 + (RankPriorWeight * (1 - ((double)candidate.PassageIndex / passageCount)));
        var density = 0.5 + (0.5 * questionTerms.Count(candidate.Terms.ContainsKey) / Math.Max(candidate.Terms.Count, 1));
        var code = candidate.Units.Any(u => u.IsCode) ? CodeBonus : 1.0;
        var length = candidate.Length > LongUnitChars ? LongUnitPenalty : 1.0;
        var adjacent = chosen.Any(q => q.PassageIndex == candidate.PassageIndex
            && (q.LastUnit + 1 == candidate.FirstUnit || candidate.FirstUnit + candidate.Units.Count == q.FirstUnit));
        return (matched + context) * prior * density * code * length * (adjacent ? AdjacencyBonus : 1.0);
    }

    private static bool SameText(IReadOnlyList<TextUnit> left, IReadOnlyList<TextUnit> right) =>
        left.Count == right.Count && left.Zip(right).All(pair => string.Equals(pair.First.Text, pair.Second.Text, StringComparison.Ordinal));

    // Only a quote longer than the whole budget is cut: whole units first, then the first unit at a word boundary.
    private static List<TextUnit> Truncate(IReadOnlyList<TextUnit> units, int maxChars)
    {
        var first = units[0];
        if (first.Text.Length <= maxChars)
        {
            return [first];
        }

        var cut = first.Text.LastIndexOf(' ', maxChars - 2);
        var text = first.Text[..(cut > 0 ? cut : maxChars - 2)].TrimEnd() + " …";
        return [first with { Text = text }];
    }

    private sealed record Candidate(
        int PassageIndex,
        int FirstUnit,
        IReadOnlyList<TextUnit> Units,
        IReadOnlyDictionary<string, double> Terms,
        IReadOnlyDictionary<string, double> Context)
    {
        public int Length { get; } = Units.Sum(u => u.Text.Length + 1) - 1;
    }
}
