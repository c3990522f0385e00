using Agent.Worker.Embeddings;

namespace Agent.Worker.Models.Offline;

/// <summary>
/// Picks the sentences of retrieved passages that best answer a question: a pure, deterministic function of the
/// question and the passages.
/// </summary>
/// <remarks>
/// <para>
/// Each passage is split into units (<see cref="SentenceSplitter"/>); a prose lead-in ending in <c>:</c> stays with
/// the code statement that follows it ("To create such an index, do one of:" + <c>CREATE INDEX ...;</c>). A
/// candidate's word score is the inverse document frequency, <c>ln(1 + N / df)</c> over the N candidates, of each
/// question content word it contains (<see cref="TermAnalyzer"/>; weighted <see cref="TermAnalyzer.IdentifierPartWeight"/>
/// for a word seen only inside an identifier), plus a quarter of that for question words found only in the
/// passage's title or heading, times a density factor <c>0.5 + 0.5 × matched words / content words</c> so that a
/// short sentence about the question beats a long one that mentions it in passing (the idea of BM25's length
/// normalisation).
/// </para>
/// <para>
/// With similarities (the cosine of each candidate and the question under the search's embedding model,
/// <see cref="QuoteSimilarity"/>), relevance blends the two, each scaled by the best candidate's:
/// <c>(1 − w) × words / best words + w × (similarity − m) / (best similarity − m)</c> with w =
/// <see cref="SemanticWeight"/> and m = <see cref="MinSimilarity"/>, so a sentence that answers in other words
/// ("TRUNCATE quickly removes all rows" for "empty a table") can be quoted; without them relevance is the word score.
/// Relevance is multiplied by a rank prior <c>1 + 0.3 × (1 − passage index / passage count)</c> favouring
/// better-ranked passages, by 1.1 for code and by 0.75 for candidates over 400 characters.
/// </para>
/// <para>
/// Selection is greedy. The first quote is the best candidate of the lead passage: the best-ranked passage whose best
/// candidate scores at least <see cref="LeadMinRelativeGain"/> of the best candidate's score. Each later round takes
/// the candidate with the highest gain, where question words already quoted count half, so later quotes add what
/// earlier ones lack; a candidate next to a chosen one gains <c>1.25</c> times, so quotes read as continuous text; and
/// a candidate from a page not quoted yet gains <see cref="NewPageBonus"/> times, so an answer spanning pages cites
/// them. It stops at <c>maxQuotes</c>, when no candidate fits in what is left of <c>maxChars</c>, or when the best
/// gain falls under <see cref="MinRelativeGain"/> of the best first-round score.
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

    /// <summary>
    /// The weight of embedding similarity in a candidate's relevance when similarities are given (0.6; word overlap
    /// weighs the rest): the value the eval set was measured with (BENCHMARKS.md, 2026-12-06).
    /// </summary>
    public const double SemanticWeight = 0.6;

    /// <summary>
    /// The cosine similarity (0.2) that counts as unrelated: the zero of the similarity scale, and the least a candidate
    /// sharing no question word needs to be quoted at all (all-MiniLM-L6-v2 gives unrelated sentences about 0.2 or less).
    /// </summary>
    public const float MinSimilarity = 0.2f;

    /// <summary>
    /// The fraction of the best candidate's score (0.5) that the best candidate of a better-ranked passage needs for the
    /// answer to open with that passage. Search ranks whole sections with the question's words and meaning fused
    /// (<c>search_documents</c>), which judges the page better than one sentence's score does.
    /// </summary>
    public const double LeadMinRelativeGain = 0.5;

    /// <summary>
    /// The factor (1.3) on the gain of a candidate from a page no earlier quote comes from, so that an answer spanning
    /// pages quotes (and cites) each of them rather than more sentences of the first.
    /// </summary>
    public const double NewPageBonus = 1.3;

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
    /// <param name="similarities">
    /// Each candidate's similarity to the question, one per <see cref="CandidateTexts"/> entry (cosines from
    /// <see cref="QuoteSimilarity"/>); <see langword="null"/>: words only.
    /// </param>
    /// <returns>
    /// The quotes in reading order: passages in the order their best quote was chosen, units in passage order within
    /// a passage; empty when no sentence shares a content word with the question.
    /// </returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxQuotes"/> or <paramref name="maxChars"/> is not positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="similarities"/> does not have one value per candidate.</exception>
    public static IReadOnlyList<Quote> Select(
        string question,
        IReadOnlyList<SearchPassage> passages,
        int maxQuotes = DefaultMaxQuotes,
        int maxChars = DefaultMaxChars,
        IReadOnlyList<float>? similarities = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxQuotes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChars);

        var questionTerms = TermAnalyzer.ContentTerms(question);
        if ((questionTerms.Count == 0 && similarities is null) || passages.Count == 0)
        {
            return [];
        }

        var candidates = BuildCandidates(passages);
        if (similarities is not null && similarities.Count != candidates.Count)
        {
            throw new ArgumentException(
                $"{similarities.Count} similarities for {candidates.Count} candidates: pass one per CandidateTexts entry.", nameof(similarities));
        }

        var idf = InverseDocumentFrequencies(questionTerms, candidates);
        var covered = new HashSet<string>(StringComparer.Ordinal);
        var chosen = new List<Quote>();
        var scale = Scale.Of(candidates, questionTerms, idf, similarities);
        var best = candidates.Count == 0 ? 0 : candidates.Max(c => Gain(c, questionTerms, idf, covered, [], [], passages.Count, scale));
        if (best <= 0)
        {
            return [];
        }

        var remaining = new List<Candidate>(candidates);
        var usedChars = 0;
        var lead = LeadPassage(candidates, c => Gain(c, questionTerms, idf, covered, [], [], passages.Count, scale), best);
        var quotedPages = new HashSet<string>(StringComparer.Ordinal);
        while (chosen.Count < maxQuotes && remaining.Count > 0)
        {
            Candidate? next = null;
            var nextGain = 0.0;
            foreach (var candidate in remaining)
            {
                // The first quote comes from the lead passage: the retrieval ranking chooses the page the answer opens with.
                if (chosen.Count == 0 && candidate.PassageIndex != lead)
                {
                    continue;
                }

                var fits = usedChars + candidate.Length <= maxChars || chosen.Count == 0;
                var gain = fits ? Gain(candidate, questionTerms, idf, covered, chosen, quotedPages, passages.Count, scale) : 0;

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
            quotedPages.Add(next.Source);
        }

        var passageOrder = chosen.Select(q => q.PassageIndex).Distinct().ToList();
        return [.. chosen.OrderBy(q => passageOrder.IndexOf(q.PassageIndex)).ThenBy(q => q.FirstUnit)];
    }

    /// <summary>
    /// Returns the text of each candidate quote as the similarity of <see cref="Select"/>'s <c>similarities</c> is
    /// computed over it: the passage's title and heading as a chunk is embedded (<see cref="EmbeddingModel.ChunkText"/>),
    /// then the candidate's units, so a sentence is compared in its page's context.
    /// </summary>
    /// <param name="passages">The passages, in the order given to <see cref="Select"/>.</param>
    /// <returns>One text per candidate, in candidate order.</returns>
    public static IReadOnlyList<string> CandidateTexts(IReadOnlyList<SearchPassage> passages) =>
    [
        .. BuildCandidates(passages).Select(c =>
        {
            var passage = passages[c.PassageIndex];
            var text = string.Join(' ', c.Units.Select(u => u.Text));
            return EmbeddingModel.ChunkText(passage.Title, passage.Heading ?? passage.Title, text);
        }),
    ];

    // The best-ranked passage whose best candidate scores at least LeadMinRelativeGain of the best candidate's score.
    private static int LeadPassage(List<Candidate> candidates, Func<Candidate, double> firstGain, double best) =>
        candidates.Where(c => firstGain(c) >= LeadMinRelativeGain * best).Min(c => c.PassageIndex);

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
                candidates.Add(new Candidate(candidates.Count, p, passage.Source, u, group, TermAnalyzer.WeightedTerms(string.Join(' ', group.Select(g => g.Text))), context));
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
        HashSet<string> quotedPages,
        int passageCount,
        Scale scale)
    {
        var lexical = LexicalScore(candidate, questionTerms, idf, covered);
        double relevance;
        if (scale.Similarities is { } similarities)
        {
            var similarity = similarities[candidate.Index];
            if (lexical <= 0 && similarity < MinSimilarity)
            {
                return 0;
            }

            var semantic = Math.Max(0, similarity - MinSimilarity) / Math.Max(scale.MaxSimilarity - MinSimilarity, 1e-6);
            relevance = ((1 - SemanticWeight) * (scale.MaxLexical > 0 ? lexical / scale.MaxLexical : 0)) + (SemanticWeight * semantic);
        }
        else
        {
            relevance = lexical;
        }

        if (relevance <= 0)
        {
            return 0;
        }

        var prior = 1 + (RankPriorWeight * (1 - ((double)candidate.PassageIndex / passageCount)));
        var code = candidate.Units.Any(u => u.IsCode) ? CodeBonus : 1.0;
        var length = candidate.Length > LongUnitChars ? LongUnitPenalty : 1.0;
        var adjacent = chosen.Any(q => q.PassageIndex == candidate.PassageIndex
            && (q.LastUnit + 1 == candidate.FirstUnit || candidate.FirstUnit + candidate.Units.Count == q.FirstUnit));
        var newPage = quotedPages.Count > 0 && !quotedPages.Contains(candidate.Source);
        return relevance * prior * code * length * (adjacent ? AdjacencyBonus : 1.0) * (newPage ? NewPageBonus : 1.0);
    }

    // The word-overlap score: idf of the question words matched (half for words already quoted, a quarter for words
    // only in the title or heading), times the density factor; 0 when no question word is in the candidate itself.
    private static double LexicalScore(
        Candidate candidate, IReadOnlyList<string> questionTerms, Dictionary<string, double> idf, HashSet<string> covered)
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

        var density = 0.5 + (0.5 * questionTerms.Count(candidate.Terms.ContainsKey) / Math.Max(candidate.Terms.Count, 1));
        return (matched + context) * density;
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
        int Index,
        int PassageIndex,
        string Source,
        int FirstUnit,
        IReadOnlyList<TextUnit> Units,
        IReadOnlyDictionary<string, double> Terms,
        IReadOnlyDictionary<string, double> Context)
    {
        public int Length { get; } = Units.Sum(u => u.Text.Length + 1) - 1;
    }

    // What the first round's best candidate scores on each side, so that the two sides are blended on one scale.
    private sealed record Scale(IReadOnlyList<float>? Similarities, double MaxLexical, double MaxSimilarity)
    {
        public static Scale Of(
            List<Candidate> candidates, IReadOnlyList<string> questionTerms, Dictionary<string, double> idf, IReadOnlyList<float>? similarities)
        {
            var none = new HashSet<string>(StringComparer.Ordinal);
            var maxLexical = candidates.Count == 0 ? 0 : candidates.Max(c => LexicalScore(c, questionTerms, idf, none));
            var maxSimilarity = similarities is null || similarities.Count == 0 ? 0 : similarities.Max();
            return new Scale(similarities, maxLexical, maxSimilarity);
        }
    }
}
