using System.Text;

namespace Agent.Worker.Ingestion;

/// <summary>
/// Cuts a section's paragraphs into chunk-sized <see cref="DocumentSection"/>s, the same way for every format: paragraphs
/// are joined with a blank line until the next one would pass the limit; a single paragraph longer than the limit
/// stays whole (a code block is never split).
/// </summary>
internal static class SectionCutter
{
    /// <summary>The default size (characters) above which a section is split at a paragraph boundary: 2,000.</summary>
    public const int DefaultMaxChunkChars = 2000;

    /// <summary>Appends the chunks of one section.</summary>
    /// <param name="heading">The section's heading, repeated on each chunk.</param>
    /// <param name="paragraphs">The section's paragraphs, in order; blank ones are skipped.</param>
    /// <param name="maxChunkChars">The size (characters) above which the section is split.</param>
    /// <param name="into">The list the chunks are appended to.</param>
    public static void Cut(string heading, IEnumerable<string> paragraphs, int maxChunkChars, List<DocumentSection> into)
    {
        var chunk = new StringBuilder();
        foreach (var paragraph in paragraphs)
        {
            if (string.IsNullOrWhiteSpace(paragraph))
            {
                continue;
            }

            if (chunk.Length > 0 && chunk.Length + 2 + paragraph.Length > maxChunkChars)
            {
                into.Add(new DocumentSection(heading, chunk.ToString()));
                chunk.Clear();
            }

            if (chunk.Length > 0)
            {
                chunk.Append("\n\n");
            }

            chunk.Append(paragraph);
        }

        if (chunk.Length > 0)
        {
            into.Add(new DocumentSection(heading, chunk.ToString()));
        }
    }

    /// <summary>Collapses runs of whitespace (line breaks included) to one space and trims.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The collapsed text.</returns>
    public static string Collapse(string text)
    {
        var builder = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}
