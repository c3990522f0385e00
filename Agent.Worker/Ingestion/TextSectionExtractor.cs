namespace Agent.Worker.Ingestion;

/// <summary>
/// Turns a plain-text file into sections: paragraphs are separated by blank lines (line breaks inside a paragraph are
/// kept), and joined into chunks up to the limit (<see cref="SectionCutter"/>), each headed by the title. A plain text
/// has no title of its own: the ingestor uses the file name. The function is pure.
/// </summary>
internal static class TextSectionExtractor
{
    /// <summary>Cuts a text into sections.</summary>
    /// <param name="text">The text (any line endings).</param>
    /// <param name="title">The heading of every section (the file name).</param>
    /// <param name="maxChunkChars">The size (characters) above which text is split. Default <see cref="SectionCutter.DefaultMaxChunkChars"/>.</param>
    /// <returns>An empty title and the sections.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxChunkChars"/> is below 100.</exception>
    public static ParsedDocument Extract(string text, string title, int maxChunkChars = SectionCutter.DefaultMaxChunkChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(title);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunkChars, 100);

        var sections = new List<DocumentSection>();
        SectionCutter.Cut(title, Paragraphs(text), maxChunkChars, sections);
        return new ParsedDocument(string.Empty, sections);
    }

    /// <summary>Splits a text at blank lines; each paragraph's lines are trimmed at the end and kept.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The non-blank paragraphs.</returns>
    public static IEnumerable<string> Paragraphs(string text) =>
        text.ReplaceLineEndings("\n")
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(p => string.Join('\n', p.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0)))
            .Where(p => p.Length > 0);
}
