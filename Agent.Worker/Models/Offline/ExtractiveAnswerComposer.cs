using System.Text;

namespace Agent.Worker.Models.Offline;

/// <summary>
/// Writes the offline model's answer from search results: the best sentences quoted verbatim as Markdown block
/// quotes, each followed by a numbered citation, then the list of sources.
/// </summary>
/// <remarks>
/// The shape is <c>From the documents:\n\n&gt; quote [1]\n\n&gt; quote [2]\n\nSources:\n[1] Title — Heading
/// (source.html)</c>. Quotes of consecutive units of one passage share one block; code statements keep their own
/// lines.
/// </remarks>
internal static class ExtractiveAnswerComposer
{
    /// <summary>The first line of every answer that quotes passages.</summary>
    public const string Preamble = "From the documents:";

    /// <summary>Composes the answer to <paramref name="question"/> from the passages the search returned.</summary>
    /// <param name="question">The user's question.</param>
    /// <param name="passages">The passages of one or more search results; duplicates are ignored.</param>
    /// <returns>The answer text: quotes with citations, or a plain statement that nothing matched.</returns>
    public static string Compose(string question, IReadOnlyList<SearchPassage> passages)
    {
        var ordered = Normalize(passages);
        return ordered.Count == 0 ? NothingFound(question) : Write(ordered, QuoteSelector.Select(question, ordered));
    }

    /// <summary>
    /// Composes the answer to <paramref name="question"/> with quotes picked by meaning as well as by words: each
    /// candidate's similarity to the question under the search's embedding model (<see cref="QuoteSimilarity"/>) goes
    /// to <see cref="QuoteSelector.Select"/>.
    /// </summary>
    /// <param name="question">The user's question.</param>
    /// <param name="passages">The passages of one or more search results; duplicates are ignored.</param>
    /// <param name="similarity">The embedding similarity; <see langword="null"/>: words only, as <see cref="Compose"/>.</param>
    /// <param name="cancellationToken">Cancels the embedding.</param>
    /// <returns>The answer text: quotes with citations, or a plain statement that nothing matched.</returns>
    public static async Task<string> ComposeAsync(
        string question, IReadOnlyList<SearchPassage> passages, QuoteSimilarity? similarity, CancellationToken cancellationToken)
    {
        var ordered = Normalize(passages);
        if (ordered.Count == 0)
        {
            return NothingFound(question);
        }

        var similarities = similarity is null
            ? null
            : await similarity.ScoreAsync(question, QuoteSelector.CandidateTexts(ordered), cancellationToken);
        return Write(ordered, QuoteSelector.Select(question, ordered, similarities: similarities));
    }

    private static string Write(List<SearchPassage> ordered, IReadOnlyList<Quote> quotes)
    {
        if (quotes.Count == 0)
        {
            var top = ordered[0];
            return $"The document search returned {Plural(ordered.Count, "passage")}, but none of their "
                + "sentences is close enough to the question, so there is nothing to quote. The best-ranked one is "
                + $"{Describe(top)}. Try rephrasing the question with the words the documents would use, for example the "
                + "name of a command, function or setting.";
        }

        var citations = new List<int>();
        var answer = new StringBuilder(Preamble);
        Quote? previous = null;
        var block = new List<string>();
        var lastWasCode = false;
        foreach (var quote in quotes)
        {
            var continues = previous is not null && previous.PassageIndex == quote.PassageIndex
                && quote.FirstUnit == previous.LastUnit + 1;
            if (!continues && previous is not null)
            {
                AppendBlock(answer, block, citations.IndexOf(previous.PassageIndex) + 1);
                block.Clear();
            }

            if (!citations.Contains(quote.PassageIndex))
            {
                citations.Add(quote.PassageIndex);
            }

            foreach (var unit in quote.Units)
            {
                if (unit.IsCode)
                {
                    block.AddRange(unit.Text.Split('\n'));
                }
                else if (block.Count > 0 && !lastWasCode)
                {
                    block[^1] += " " + unit.Text;
                }
                else
                {
                    block.Add(unit.Text);
                }

                lastWasCode = unit.IsCode;
            }

            previous = quote;
        }

        AppendBlock(answer, block, citations.IndexOf(previous!.PassageIndex) + 1);
        answer.Append("\n\nSources:");
        for (var i = 0; i < citations.Count; i++)
        {
            answer.Append($"\n[{i + 1}] {Describe(ordered[citations[i]])}");
        }

        return answer.ToString();
    }

    /// <summary>Returns the answer given when the search found nothing.</summary>
    /// <param name="question">The user's question.</param>
    /// <returns>A plain statement that the documents have nothing matching, with a suggestion to rephrase.</returns>
    public static string NothingFound(string question) =>
        $"The documents have nothing matching \"{question}\". Try rephrasing the question, for example with the "
        + "name of a command, function or setting.";

    // Passages of several search calls are merged: the first copy of a chunk wins, best rank first (stable).
    private static List<SearchPassage> Normalize(IReadOnlyList<SearchPassage> passages) =>
    [
        .. passages
            .DistinctBy(p => (p.DocumentId, p.ChunkId, p.Source, p.Text))
            .Select((p, i) => (Passage: p, Index: i))
            .OrderByDescending(x => x.Passage.Rank)
            .ThenBy(x => x.Index)
            .Select(x => x.Passage),
    ];

    private static void AppendBlock(StringBuilder answer, List<string> lines, int citation)
    {
        answer.Append("\n\n");
        answer.AppendJoin('\n', lines.Select(line => "> " + line));
        answer.Append($" [{citation}]");
    }

    private static string Describe(SearchPassage passage)
    {
        var name = passage.Title.Length > 0 ? passage.Title : passage.Source;
        if (!string.IsNullOrWhiteSpace(passage.Heading) && passage.Heading != passage.Title)
        {
            name += " — " + passage.Heading;
        }

        return passage.Title.Length > 0 && passage.Source.Length > 0 ? $"{name} ({passage.Source})" : name;
    }

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";
}
