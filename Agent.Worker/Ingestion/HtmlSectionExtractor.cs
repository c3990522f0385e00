using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Agent.Worker.Ingestion;

/// <summary>
/// Turns an HTML page into plain-text sections, one per section heading, shaped for the PostgreSQL manual's
/// DocBook output (<c>div.sect1</c>..<c>div.sect4</c>, <c>div.refsect1</c>.. with <c>h1</c>..<c>h5</c> titles).
/// </summary>
/// <remarks>
/// Navigation (<c>div.navheader</c>, <c>div.navfooter</c>), tables of contents (<c>div.toc</c>), the book index
/// (<c>div.index</c>, a list of every term that would match every search), scripts and styles are dropped; a page
/// left with no text at all (a chapter page holding only its table of contents) keeps its table of contents, so
/// the page can still be found. Headings inside admonitions (<c>div.note</c>, <c>div.tip</c>, ...) do not start a section: they
/// become a prefix such as <c>Note: </c> of the admonition's text. Block elements end a paragraph, list items get a
/// <c>- </c> bullet, table cells are joined with <c> | </c>, and <c>&lt;pre&gt;</c> text is kept verbatim as one
/// paragraph that is never split. The function is pure: the same HTML always gives the same sections.
/// </remarks>
internal static class HtmlSectionExtractor
{
    /// <summary>The default size (characters) above which a section is split at a paragraph boundary.</summary>
    public const int DefaultMaxChunkChars = SectionCutter.DefaultMaxChunkChars;

    private const string Bullet = "- ";

    private const string TableOfContentsClass = "toc";

    private static readonly HashSet<string> ChromeClasses =
        new(StringComparer.Ordinal) { "navheader", "navfooter", "index", TableOfContentsClass };

    private static readonly HashSet<string> SkippedElements =
        new(StringComparer.Ordinal) { "head", "script", "style", "noscript", "template", "nav", "hr", "img", "svg" };

    private static readonly HashSet<string> AdmonitionClasses =
        new(StringComparer.Ordinal) { "note", "tip", "caution", "warning", "important" };

    private static readonly HashSet<string> BlockElements = new(StringComparer.Ordinal)
    {
        "p", "div", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "caption", "blockquote",
        "section", "article", "aside", "figure", "figcaption", "address", "main", "header", "footer", "center",
    };

    /// <summary>Parses a page and cuts its text into sections.</summary>
    /// <param name="html">The page's HTML.</param>
    /// <param name="maxChunkChars">
    /// The size (characters) above which a section's text is split at a paragraph boundary; a single paragraph or
    /// <c>&lt;pre&gt;</c> block longer than this stays whole. Default <see cref="DefaultMaxChunkChars"/>.
    /// </param>
    /// <returns>The page's title and its non-empty sections in document order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxChunkChars"/> is below 100.</exception>
    public static ParsedDocument Extract(string html, int maxChunkChars = DefaultMaxChunkChars)
    {
        ArgumentNullException.ThrowIfNull(html);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunkChars, 100);

        using var document = new HtmlParser().ParseDocument(html);
        var title = SectionCutter.Collapse(document.Title ?? string.Empty);
        if (document.Body is not { } body)
        {
            return new ParsedDocument(title, []);
        }

        var builder = new SectionBuilder(title, maxChunkChars, keepTableOfContents: false);
        builder.VisitChildren(body);
        var sections = builder.Finish();
        if (sections.Count == 0)
        {
            builder = new SectionBuilder(title, maxChunkChars, keepTableOfContents: true);
            builder.VisitChildren(body);
            sections = builder.Finish();
        }

        return new ParsedDocument(title, sections);
    }

    private static bool IsChrome(IElement element, bool keepTableOfContents)
    {
        if (SkippedElements.Contains(element.LocalName))
        {
            return true;
        }

        foreach (var name in element.ClassList)
        {
            if (ChromeClasses.Contains(name) && !(keepTableOfContents && name == TableOfContentsClass))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsInsideAdmonition(IElement heading)
    {
        // DocBook wraps titles in anonymous divs and div.titlepage; the first other div decides.
        for (var parent = heading.ParentElement; parent is not null; parent = parent.ParentElement)
        {
            if (parent.LocalName != "div")
            {
                continue;
            }

            var classes = parent.ClassList;
            if (classes.Length == 0 || (classes.Length == 1 && classes.Contains("titlepage")))
            {
                continue;
            }

            return classes.Any(AdmonitionClasses.Contains);
        }

        return false;
    }

    private sealed class SectionBuilder(string title, int maxChunkChars, bool keepTableOfContents)
    {
        private readonly List<DocumentSection> sections = [];
        private readonly List<string> paragraphs = [];
        private readonly StringBuilder line = new();
        private string heading = title;
        private bool sawHeading;
        private bool pendingSpace;
        private string? pendingPrefix;

        public void VisitChildren(INode node)
        {
            foreach (var child in node.ChildNodes)
            {
                switch (child)
                {
                    case IText text:
                        AppendText(text.Data);
                        break;
                    case IElement element:
                        Visit(element);
                        break;
                }
            }
        }

        public List<DocumentSection> Finish()
        {
            FlushLine();
            EmitSection();
            return sections;
        }

        private void Visit(IElement element)
        {
            if (IsChrome(element, keepTableOfContents))
            {
                return;
            }

            var name = element.LocalName;
            switch (name)
            {
                case "h1" or "h2" or "h3" or "h4" or "h5" or "h6":
                    if (IsInsideAdmonition(element))
                    {
                        FlushLine();
                        pendingPrefix = SectionCutter.Collapse(element.TextContent) + ": ";
                    }
                    else
                    {
                        StartSection(SectionCutter.Collapse(element.TextContent));
                    }

                    return;
                case "pre":
                    FlushLine();
                    pendingPrefix = null;
                    var text = element.TextContent.Replace("\r\n", "\n", StringComparison.Ordinal).Trim('\n').TrimEnd();
                    if (text.Length > 0)
                    {
                        paragraphs.Add(text);
                    }

                    return;
                case "br":
                    FlushLine();
                    return;
                case "li":
                    FlushLine();
                    pendingPrefix = Bullet;
                    VisitChildren(element);
                    FlushLine();
                    pendingPrefix = null;
                    return;
                case "td" or "th":
                    if (line.Length > 0)
                    {
                        line.Append(" | ");
                        pendingSpace = false;
                    }

                    VisitChildren(element);
                    return;
                default:
                    break;
            }

            if (BlockElements.Contains(name))
            {
                FlushLine();
                VisitChildren(element);
                FlushLine();
            }
            else
            {
                VisitChildren(element);
            }
        }

        private void StartSection(string newHeading)
        {
            FlushLine();
            pendingPrefix = null;
            if (paragraphs.Count > 0)
            {
                EmitSection();
                heading = newHeading;
            }
            else if (sawHeading || heading.Length == 0)
            {
                // The previous heading had no text of its own (e.g. a chapter title over a dropped table of contents).
                heading = newHeading;
            }

            // Otherwise this is the page's own title heading: the first section keeps the page title.
            sawHeading = true;
        }

        private void AppendText(string data)
        {
            foreach (var c in data)
            {
                if (char.IsWhiteSpace(c))
                {
                    pendingSpace = line.Length > 0;
                    continue;
                }

                if (line.Length == 0 && pendingPrefix is not null)
                {
                    line.Append(pendingPrefix);
                    pendingPrefix = null;
                }
                else if (pendingSpace)
                {
                    line.Append(' ');
                }

                pendingSpace = false;
                line.Append(c);
            }
        }

        private void FlushLine()
        {
            if (line.Length > 0)
            {
                paragraphs.Add(line.ToString());
                line.Clear();
            }

            pendingSpace = false;
        }

        private void EmitSection()
        {
            SectionCutter.Cut(heading, paragraphs, maxChunkChars, sections);
            paragraphs.Clear();
        }
    }
}
