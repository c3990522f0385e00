using System.Text;

namespace Agent.Worker.Ingestion;

/// <summary>
/// The file formats <c>ingest</c> reads, picked by file extension (case-insensitive): HTML (<c>.html</c>, <c>.htm</c>;
/// <see cref="HtmlSectionExtractor"/>), Markdown (<c>.md</c>, <c>.markdown</c>; <see cref="MarkdownSectionExtractor"/>),
/// plain text (<c>.txt</c>, <c>.text</c>; <see cref="TextSectionExtractor"/>) and PDF (<c>.pdf</c>;
/// <see cref="PdfSectionExtractor"/>). Other files are not ingested.
/// </summary>
internal static class DocumentFormats
{
    private static readonly Dictionary<string, Func<byte[], string, ParsedDocument>> ByExtension = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = (bytes, _) => HtmlSectionExtractor.Extract(Decode(bytes)),
        [".htm"] = (bytes, _) => HtmlSectionExtractor.Extract(Decode(bytes)),
        [".md"] = (bytes, _) => MarkdownSectionExtractor.Extract(Decode(bytes)),
        [".markdown"] = (bytes, _) => MarkdownSectionExtractor.Extract(Decode(bytes)),
        [".txt"] = (bytes, name) => TextSectionExtractor.Extract(Decode(bytes), name),
        [".text"] = (bytes, name) => TextSectionExtractor.Extract(Decode(bytes), name),
        [".pdf"] = (bytes, _) => PdfSectionExtractor.Extract(bytes),
    };

    /// <summary>Gets the extensions read, with their dots, sorted.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [.. ByExtension.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Tells whether a file's extension is one of <see cref="Extensions"/>.</summary>
    /// <param name="path">The file's path or name.</param>
    /// <returns>True when the file is read.</returns>
    public static bool IsSupported(string path) => ByExtension.ContainsKey(Path.GetExtension(path));

    /// <summary>Parses a file's bytes by its extension; a file without a title of its own is titled by its file name.</summary>
    /// <param name="path">The file's path or name (its extension picks the format).</param>
    /// <param name="bytes">The file's bytes.</param>
    /// <returns>The title (never empty) and the sections.</returns>
    /// <exception cref="NotSupportedException">The extension is not one of <see cref="Extensions"/>.</exception>
    /// <exception cref="InvalidDataException">A PDF that cannot be read.</exception>
    public static ParsedDocument Parse(string path, byte[] bytes)
    {
        var name = Path.GetFileName(path);
        if (!ByExtension.TryGetValue(Path.GetExtension(path), out var parse))
        {
            throw new NotSupportedException($"'{name}' is not a format ingest reads ({string.Join(", ", Extensions)}).");
        }

        var parsed = parse(bytes, name);
        return parsed.Title.Length > 0 ? parsed : parsed with { Title = name };
    }

    // UTF-8 (a BOM is skipped); invalid sequences become U+FFFD rather than failing the ingest.
    private static string Decode(byte[] bytes) => Encoding.UTF8.GetString(bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? bytes.AsSpan(3) : bytes);
}
