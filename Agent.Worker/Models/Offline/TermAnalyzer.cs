using System.Collections.Frozen;

namespace Agent.Worker.Models.Offline;

/// <summary>
/// Turns text into the content words the offline model compares: lowercase letter-and-digit runs, English stop
/// words removed, each reduced by a light suffix-stripping stemmer so that <c>indexes</c>, <c>indexed</c> and
/// <c>index</c> (or <c>creates</c> and <c>create</c>) meet.
/// </summary>
/// <remarks>
/// The stemmer is deliberately far simpler than Porter's: it only strips plural <c>s</c>/<c>es</c>/<c>ies</c>,
/// <c>ing</c>, <c>ed</c> and a final <c>e</c>, which is enough to match a question against manual prose without a
/// dictionary. It is pure and culture-invariant, so the model stays deterministic.
/// </remarks>
internal static class TermAnalyzer
{
    /// <summary>The weight of a term found only as a part of an identifier such as <c>to_tsvector</c>.</summary>
    public const double IdentifierPartWeight = 0.3;

    // Function words and the filler of questions ("how do I ..."); "use" is here because questions say "use"
    // where the manual says USING, and matching it would favour every sentence that mentions using anything.
    private static readonly FrozenSet<string> StopWords = FrozenSet.ToFrozenSet(
    [
        "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
        "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do",
        "does", "doing", "down", "during", "each", "few", "for", "from", "further", "get", "had", "has", "have", "having",
        "he", "her", "here", "hers", "him", "his", "how", "i", "if", "in", "into", "is", "it", "its", "itself", "just",
        "may", "me", "might", "more", "most", "must", "my", "need", "no", "nor", "not", "now", "of", "off", "on", "once",
        "only", "or", "other", "our", "ours", "out", "over", "own", "please", "same", "shall", "she", "should", "so",
        "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
        "through", "to", "too", "under", "until", "up", "use", "used", "uses", "using", "very", "want", "was", "we",
        "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your",
        "yours",
    ]);

    /// <summary>
    /// Returns the distinct stemmed content words of <paramref name="text"/>; identifiers such as <c>to_tsvector</c>
    /// are split at underscores.
    /// </summary>
    /// <param name="text">Any text, e.g. a question.</param>
    /// <returns>The stems, in order of first appearance.</returns>
    public static IReadOnlyList<string> ContentTerms(string text)
    {
        var terms = new List<string>();
        foreach (var word in Words(text))
        {
            foreach (var part in word.Split('_', StringSplitOptions.RemoveEmptyEntries))
            {
                if (ToTerm(part) is { } term && !terms.Contains(term))
                {
                    terms.Add(term);
                }
            }
        }

        return terms;
    }

    /// <summary>
    /// Returns the stemmed content words of <paramref name="text"/> with a weight each: 1 for a whole word, and
    /// <see cref="IdentifierPartWeight"/> (0.3) for a word found only inside an identifier (<c>tsvector</c> in
    /// <c>tsvector_ops</c>), because an identifier that merely contains a word is weaker evidence than the word.
    /// </summary>
    /// <param name="text">Any text, e.g. a sentence of a passage.</param>
    /// <returns>Stem to weight (0.3 or 1).</returns>
    public static IReadOnlyDictionary<string, double> WeightedTerms(string text)
    {
        var terms = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var word in Words(text))
        {
            var parts = word.Split('_', StringSplitOptions.RemoveEmptyEntries);
            var weight = parts.Length > 1 ? IdentifierPartWeight : 1.0;
            foreach (var part in parts)
            {
                if (ToTerm(part) is { } term && (!terms.TryGetValue(term, out var existing) || existing < weight))
                {
                    terms[term] = weight;
                }
            }
        }

        return terms;
    }

    /// <summary>
    /// Reduces a lowercase word to its stem by stripping one plural suffix, then <c>ing</c> or <c>ed</c> (undoubling a
    /// final consonant), then a final <c>e</c>; words of three letters or fewer are kept as they are.
    /// </summary>
    /// <param name="word">A lowercase word of letters and digits.</param>
    /// <returns>The stem, e.g. <c>creat</c> for <c>creates</c>, <c>created</c>, <c>creating</c> and <c>create</c>.</returns>
    public static string Stem(string word)
    {
        if (word.Length <= 3)
        {
            return word;
        }

        var stem = StripPlural(word);
        if (stem.EndsWith("ing", StringComparison.Ordinal) && stem.Length - 3 >= 3)
        {
            stem = Undouble(stem[..^3]);
        }
        else if (stem.EndsWith("ed", StringComparison.Ordinal) && stem.Length - 2 >= 3)
        {
            stem = Undouble(stem[..^2]);
        }

        return stem.Length > 3 && stem.EndsWith('e') ? stem[..^1] : stem;
    }

    private static string StripPlural(string word)
    {
        if (word.EndsWith("ies", StringComparison.Ordinal) && word.Length > 4)
        {
            return word[..^3] + "y";
        }

        if (word.EndsWith("sses", StringComparison.Ordinal))
        {
            return word[..^2];
        }

        if (word.EndsWith("es", StringComparison.Ordinal) && word.Length > 4
            && (word[^3] is 's' or 'x' or 'z' || word.EndsWith("ches", StringComparison.Ordinal)
                || word.EndsWith("shes", StringComparison.Ordinal)))
        {
            return word[..^2];
        }

        // "ss", "us" and "is" endings are not plurals: class, status, analysis.
        if (word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal)
            && !word.EndsWith("us", StringComparison.Ordinal) && !word.EndsWith("is", StringComparison.Ordinal))
        {
            return word[..^1];
        }

        return word;
    }

    private static string Undouble(string stem) =>
        stem.Length >= 4 && stem[^1] == stem[^2] && stem[^1] is not ('l' or 's' or 'z' or 'a' or 'e' or 'i' or 'o' or 'u')
            ? stem[..^1]
            : stem;

    private static string? ToTerm(string part)
    {
        if (part.Length < 2 || StopWords.Contains(part))
        {
            return null;
        }

        return Stem(part);
    }

    // Words are runs of ASCII letters, digits and underscores, lowercased; everything else separates them.
    private static IEnumerable<string> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWordChar = i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_');
            if (isWordChar && start < 0)
            {
                start = i;
            }
            else if (!isWordChar && start >= 0)
            {
                yield return text[start..i].ToLowerInvariant();
                start = -1;
            }
        }
    }
}
