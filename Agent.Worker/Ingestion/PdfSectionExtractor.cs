using UglyToad.PdfPig;
using UglyToad.PdfPig.DocumentLayoutAnalysis.TextExtractor;

namespace Agent.Worker.Ingestion;

/// <summary>
/// Turns a PDF into sections with PdfPig: one section per page headed <c>Page N</c> (from 1), its text in content
/// order, paragraphs at blank lines, split at the limit like every format (<see cref="SectionCutter"/>). The title is
/// the document information's <c>Title</c>, else empty (the ingestor then uses the file name). Scanned pages (images
/// without text) give no section.
/// </summary>
internal static class PdfSectionExtractor
{
    /// <summary>Reads a PDF's text and cuts it into sections.</summary>
    /// <param name="pdf">The file's bytes.</param>
    /// <param name="maxChunkChars">The size (characters) above which a page is split. Default <see cref="SectionCutter.DefaultMaxChunkChars"/>.</param>
    /// <returns>The title and the sections, in page order.</returns>
    /// <exception cref="InvalidDataException">The bytes are not a PDF PdfPig can read (damaged or encrypted).</exception>
    public static ParsedDocument Extract(byte[] pdf, int maxChunkChars = SectionCutter.DefaultMaxChunkChars)
    {
        ArgumentNullException.ThrowIfNull(pdf);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunkChars, 100);
        try
        {
            using var document = PdfDocument.Open(pdf);
            var title = SectionCutter.Collapse(document.Information.Title ?? string.Empty);
            var sections = new List<DocumentSection>();
            foreach (var page in document.GetPages())
            {
                var text = ContentOrderTextExtractor.GetText(page);
                SectionCutter.Cut($"Page {page.Number}", TextSectionExtractor.Paragraphs(text), maxChunkChars, sections);
            }

            return new ParsedDocument(title, sections);
        }
        catch (Exception exception) when (exception is not OutOfMemoryException and not InvalidDataException)
        {
            // PdfPig throws its own types (and plain ones) for damaged and encrypted files: one kind for the caller.
            throw new InvalidDataException($"The PDF could not be read: {exception.Message}", exception);
        }
    }
}
