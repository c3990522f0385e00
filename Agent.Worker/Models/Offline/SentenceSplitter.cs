using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;

namespace Agent.Worker.Models.Offline;

/// <summary>
/// Splits a passage of the manual into quotable <see cref="TextUnit"/>s: prose into sentences, and SQL statements
/// (on their own lines, or inline after a colon) into whole units so a quote never cuts
/// <c>CREATE INDEX name ON table USING GIN (column);</c> in half.
/// </summary>
/// <remarks>
/// Code is recognised by shape, not by a parser. A statement starts with an upper-case SQL command word followed by
/// another upper-case word (<c>CREATE INDEX</c>, <c>ALTER TABLE</c>), or is a <c>SELECT</c>/<c>WITH</c>, or is a
/// whole line ending in <c>;</c>; and it must not read like prose (no sentence boundary, no final <c>.</c>, fewer
/// than two English function words outside quoted literals), so "CREATE INDEX constructs an index on the specified
/// column(s) of ..." stays a sentence. Following lines stay in a statement while it lacks its <c>;</c> and they are
/// indented or start with a clause word (<c>FROM</c>, <c>WHERE</c>, ...). Inline, a statement starts after a colon
/// and ends at its <c>;</c>. Sentences end at <c>.</c>, <c>!</c> or <c>?</c> followed by a space and a capital,
/// never inside parentheses and never after <c>e.g.</c> or <c>i.e.</c>.
/// </remarks>
internal static partial class SentenceSplitter
{
    private const int MaxParenthesisSpan = 300;

    private static readonly FrozenSet<string> CommandWords = FrozenSet.ToFrozenSet(
    [
        "ALTER", "ANALYZE", "BEGIN", "CALL", "CLUSTER", "COMMENT", "COMMIT", "COPY", "CREATE", "DELETE", "DO", "DROP",
        "EXECUTE", "EXPLAIN", "GRANT", "INSERT", "PREPARE", "REINDEX", "REVOKE", "ROLLBACK", "SELECT", "SET", "SHOW",
        "TRUNCATE", "UPDATE", "VACUUM", "WITH",
    ], StringComparer.Ordinal);

    private static readonly FrozenSet<string> ClauseWords = FrozenSet.ToFrozenSet(
    [
        "ADD", "AND", "AS", "FROM", "GENERATED", "GROUP", "HAVING", "INCLUDE", "JOIN", "LIMIT", "OFFSET", "ON", "OR",
        "ORDER", "RETURNING", "SET", "UNION", "USING", "VALUES", "WHERE", "WINDOW",
    ], StringComparer.Ordinal);

    private static readonly FrozenSet<string> Abbreviations = FrozenSet.ToFrozenSet(
        ["e.g", "i.e", "cf", "vs", "approx", "fig", "sec"], StringComparer.Ordinal);

    // Lower-case words that SQL identifiers rarely are but English sentences always contain.
    private static readonly FrozenSet<string> ProseFunctionWords = FrozenSet.ToFrozenSet(
        ["a", "an", "are", "be", "can", "for", "is", "it", "of", "that", "the", "this", "to", "which", "with"],
        StringComparer.Ordinal);

    private static readonly char[] WordSeparators = [' ', '\t', '\n', '(', ')', ',', ';', ':'];

    /// <summary>Splits <paramref name="text"/> into sentences and code statements, in passage order.</summary>
    /// <param name="text">A passage's text; paragraphs may be separated by blank lines, code may sit on its own lines.</param>
    /// <returns>The units; empty when the text is blank.</returns>
    public static IReadOnlyList<TextUnit> Split(string text)
    {
        var units = new List<TextUnit>();
        var prose = new StringBuilder();
        var code = new StringBuilder();
        var lastCodeLine = string.Empty;

        foreach (var line in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0)
            {
                FlushProse(prose, units);
                FlushCode(code, units);
            }
            else if (code.Length > 0 && IsContinuation(line, trimmed, lastCodeLine))
            {
                code.Append('\n').Append(trimmed);
                lastCodeLine = trimmed;
            }
            else if (IsStatementStart(trimmed, requireTerminator: false))
            {
                FlushProse(prose, units);
                FlushCode(code, units);
                code.Append(trimmed);
                lastCodeLine = trimmed;
            }
            else
            {
                FlushCode(code, units);
                prose.Append(prose.Length > 0 ? " " : string.Empty).Append(trimmed);
            }
        }

        FlushProse(prose, units);
        FlushCode(code, units);
        return units;
    }

    private static void FlushCode(StringBuilder code, List<TextUnit> units)
    {
        if (code.Length > 0)
        {
            units.Add(new TextUnit(code.ToString(), IsCode: true));
            code.Clear();
        }
    }

    private static void FlushProse(StringBuilder prose, List<TextUnit> units)
    {
        if (prose.Length == 0)
        {
            return;
        }

        var paragraph = prose.ToString();
        prose.Clear();
        var start = 0;
        var depth = 0;
        var openedAt = -1;
        for (var i = 0; i < paragraph.Length; i++)
        {
            var c = paragraph[i];
            if (c == '(')
            {
                openedAt = depth++ == 0 ? i : openedAt;
            }
            else if (c == ')' && depth > 0)
            {
                depth--;
            }

            // An unbalanced "(" must not swallow the rest of a long paragraph.
            if (depth > 0 && i - openedAt > MaxParenthesisSpan)
            {
                depth = 0;
            }

            if (depth == 0 && IsBoundary(paragraph, i, start))
            {
                AddSentence(paragraph[start..(i + 1)], units);
                start = i + 1;
            }
        }

        AddSentence(paragraph[start..], units);
    }

    private static void AddSentence(string sentence, List<TextUnit> units)
    {
        var trimmed = sentence.Trim();
        if (trimmed.Length > 0)
        {
            units.Add(new TextUnit(trimmed, IsStatementStart(trimmed, requireTerminator: true)));
        }
    }

    private static bool IsBoundary(string text, int i, int sentenceStart)
    {
        var c = text[i];
        if (c is not ('.' or '!' or '?' or ';' or ':') || i + 2 >= text.Length || !char.IsWhiteSpace(text[i + 1]))
        {
            return false;
        }

        var next = i + 1;
        while (next < text.Length && char.IsWhiteSpace(text[next]))
        {
            next++;
        }

        if (next >= text.Length)
        {
            return false;
        }

        var rest = text.AsSpan(next);
        switch (c)
        {
            // A colon ends a lead-in only when an inline statement follows ("do one of: CREATE INDEX ...;").
            case ':':
                return IsStatementStart(rest.ToString(), requireTerminator: true);

            // A semicolon ends an inline statement, or a sentence that merely contains one, before a new sentence.
            case ';':
                return char.IsAsciiLetterUpper(rest[0]) && IsStatementStart(text[sentenceStart..(i + 1)].Trim(), true);

            default:
                return (char.IsAsciiLetterUpper(rest[0]) || char.IsAsciiDigit(rest[0]) || rest[0] is '(' or '"')
                    && !EndsWithAbbreviation(text, i);
        }
    }

    private static bool EndsWithAbbreviation(string text, int period)
    {
        var start = period;
        while (start > 0 && (char.IsAsciiLetter(text[start - 1]) || text[start - 1] == '.'))
        {
            start--;
        }

        return Abbreviations.Contains(text[start..period].ToLowerInvariant());
    }

    // A statement starts with an upper-case command word followed by another upper-case word (CREATE INDEX,
    // ALTER TABLE), or is a SELECT/WITH, and does not read like prose ("CREATE INDEX constructs an index on the
    // specified column(s) of ..." starts like code but is a sentence). With requireTerminator (inline statements) it
    // must also reach a ";" before any sentence boundary.
    private static bool IsStatementStart(string text, bool requireTerminator)
    {
        var words = text.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || !CommandWords.Contains(words[0]))
        {
            return false;
        }

        var end = text.IndexOf(';', StringComparison.Ordinal);
        var statement = end < 0 ? text : text[..(end + 1)];
        if (LooksLikeProse(statement) || (requireTerminator && end < 0))
        {
            return false;
        }

        var terminated = text.TrimEnd().EndsWith(';');
        return (terminated && !requireTerminator) || IsUpperWord(words[1]) || words[0] is "SELECT" or "WITH";
    }

    private static bool LooksLikeProse(string text)
    {
        var trimmed = text.TrimEnd();
        if (trimmed.EndsWith('.') || ContainsSentenceBoundary(trimmed))
        {
            return true;
        }

        // Literals such as 'a fat cat sat on a mat' are data, not prose.
        var withoutLiterals = QuotedLiteral().Replace(trimmed, " ");
        var functionWords = 0;
        foreach (var word in withoutLiterals.Split(WordSeparators, StringSplitOptions.RemoveEmptyEntries))
        {
            if (ProseFunctionWords.Contains(word) && ++functionWords >= 2)
            {
                return true;
            }
        }

        return false;
    }

    private static bool ContainsSentenceBoundary(ReadOnlySpan<char> text)
    {
        for (var i = 0; i + 2 < text.Length; i++)
        {
            if (text[i] is '.' or '!' or '?' && text[i + 1] == ' ' && char.IsAsciiLetterUpper(text[i + 2]))
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"\$\$.*?\$\$|'[^']*'", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedLiteral();

    private static bool IsContinuation(string line, string trimmed, string previousCodeLine)
    {
        if (previousCodeLine.EndsWith(';'))
        {
            return false;
        }

        var firstWord = trimmed.Split(' ', 2)[0];
        return char.IsWhiteSpace(line[0]) || ClauseWords.Contains(firstWord) || trimmed[0] == ')';
    }

    private static bool IsUpperWord(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterUpper(c) || c == '_') && word.Any(char.IsAsciiLetterUpper);
}
