using System.Text;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Agent.Tests.Collections;

/// <summary>
/// Writes small document folders for the collection tests: one file per format ingest reads, in a temporary directory
/// deleted on dispose.
/// </summary>
internal sealed class CollectionFiles : IDisposable
{
    public CollectionFiles()
    {
        Root = Path.Combine(Path.GetTempPath(), "agent-collection-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes guide.md, notes/plain.txt (a subfolder), report.pdf and page.html, plus files ingest must skip.</summary>
    /// <param name="topic">A word every file mentions, to tell collections apart in searches.</param>
    /// <returns>This folder.</returns>
    public CollectionFiles WriteMixed(string topic)
    {
        Write("guide.md", $"""
            ---
            layout: page
            ---
            # The {topic} guide

            Intro text about {topic} setup and configuration.

            ## Installing the flux capacitor

            Run the installer, then check the **{topic}** flux capacitor with [the checker](https://example.com/check).

            - first item about calibration
            - second item about alignment

            ```bash
            calibrate --flux {topic}
            ```

            | Setting | Value |
            |---------|-------|
            | warp    | nine  |
            """);
        Write("notes/plain.txt", $"Plain notes about {topic} maintenance.\nThe turbo encabulator needs oiling.\n\nSecond paragraph: grease the girdle spring.");
        WritePdf("report.pdf", $"Quarterly {topic} report", [$"The {topic} reactor output rose by nine percent.", $"Page two mentions the {topic} cooling pumps."]);
        Write("page.html", $"<html><head><title>{topic} web page</title></head><body><h1>{topic} web page</h1><p>The hyperdrive motivator of {topic} is described here.</p></body></html>");
        Write("image.png", "not an image, and not a format ingest reads");
        Write(".hidden/secret.md", "# Hidden\n\nnever ingested");
        return this;
    }

    public void Write(string relativePath, string text)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text, new UTF8Encoding(false));
    }

    public void WritePdf(string relativePath, string title, IReadOnlyList<string> pages)
    {
        var builder = new PdfDocumentBuilder();
        builder.DocumentInformation.Title = title;
        var font = builder.AddStandard14Font(Standard14Font.Helvetica);
        foreach (var text in pages)
        {
            var page = builder.AddPage(UglyToad.PdfPig.Content.PageSize.A4);
            page.AddText(text, 12, new UglyToad.PdfPig.Core.PdfPoint(50, 700), font);
        }

        File.WriteAllBytes(Path.Combine(Root, relativePath), builder.Build());
    }

    public void Delete(string relativePath) => File.Delete(Path.Combine(Root, relativePath));

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
