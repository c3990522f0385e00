using System.Text;
using Markdig;
using Markdig.Extensions.Tables;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Agent.Worker.Ingestion;

/// <summary>
/// Turns a Markdown file into plain-text sections, one per heading (any level), with Markdig's CommonMark parser
/// (plus its advanced extensions: pipe tables and the like, and YAML front matter, which is dropped).
/// </summary>
/// <remarks>
/// The title is the text of the first level-1 heading, else empty (the ingestor then uses the file name). Text before
/// the first heading is a section headed by the title. Paragraphs keep their text without markup (link text, not
/// URLs), list items get a <c>- </c> bullet, table cells are joined with <c> | </c>, code blocks are kept verbatim as
/// one paragraph that is never split, raw HTML blocks are dropped. Sections longer than the limit are split at
/// paragraph boundaries (<see cref="SectionCutter"/>). The function is pure.
/// </remarks>
internal static class MarkdownSectionExtractor
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().UseYamlFrontMatter().Build();

    /// <summary>Parses a Markdown text and cuts it into sections.</summary>
    /// <param name="markdown">The Markdown text.</param>
    /// <param name="maxChunkChars">The size (characters) above which a section is split. Default <see cref="SectionCutter.DefaultMaxChunkChars"/>.</param>
    /// <returns>The title (empty when there is no level-1 heading) and the non-empty sections in document order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxChunkChars"/> is below 100.</exception>
    public static ParsedDocument Extract(string markdown, int maxChunkChars = SectionCutter.DefaultMaxChunkChars)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChunkChars, 100);

        var document = Markdown.Parse(markdown, Pipeline);
        var title = document.Descendants<HeadingBlock>().FirstOrDefault(h => h.Level == 1) is { } h1 ? InlineText(h1.Inline) : string.Empty;

        var sections = new List<DocumentSection>();
        var heading = title;
        var paragraphs = new List<string>();
        foreach (var block in document)
        {
            if (block is HeadingBlock headingBlock)
            {
                SectionCutter.Cut(heading, paragraphs, maxChunkChars, sections);
                paragraphs.Clear();
                heading = InlineText(headingBlock.Inline);
            }
            else
            {
                AddParagraphs(block, string.Empty, paragraphs);
            }
        }

        SectionCutter.Cut(heading, paragraphs, maxChunkChars, sections);
        return new ParsedDocument(title, sections);
    }

    private static void AddParagraphs(Block block, string prefix, List<string> paragraphs)
    {
        switch (block)
        {
            case YamlFrontMatterBlock or HtmlBlock or ThematicBreakBlock or LinkReferenceDefinitionGroup:
                break;
            case CodeBlock code:
                // Fenced or indented: verbatim, one paragraph.
                var lines = code.Lines.ToString().TrimEnd();
                if (lines.Length > 0)
                {
                    paragraphs.Add(lines);
                }

                break;
            case LeafBlock leaf:
                var text = InlineText(leaf.Inline);
                if (text.Length > 0)
                {
                    paragraphs.Add(prefix + text);
                }

                break;
            case Table table:
                foreach (var row in table.OfType<TableRow>())
                {
                    var cells = row.OfType<TableCell>().Select(cell => string.Join(' ', cell.OfType<LeafBlock>().Select(l => InlineText(l.Inline))));
                    paragraphs.Add(string.Join(" | ", cells));
                }

                break;
            case ListBlock list:
                foreach (var item in list.OfType<ListItemBlock>())
                {
                    var first = true;
                    foreach (var child in item)
                    {
                        AddParagraphs(child, first ? prefix + "- " : prefix, paragraphs);
                        first = false;
                    }
                }

                break;
            case ContainerBlock container:
                foreach (var child in container)
                {
                    AddParagraphs(child, prefix, paragraphs);
                }

                break;
        }
    }

    private static string InlineText(ContainerInline? inline)
    {
        if (inline is null)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        AppendInline(inline, text);
        return SectionCutter.Collapse(text.ToString());
    }

    private static void AppendInline(Inline inline, StringBuilder text)
    {
        switch (inline)
        {
            case LiteralInline literal:
                text.Append(literal.Content.AsSpan());
                break;
            case CodeInline code:
                text.Append(code.Content);
                break;
            case AutolinkInline autolink:
                text.Append(autolink.Url);
                break;
            case LineBreakInline:
                text.Append(' ');
                break;
            case HtmlEntityInline entity:
                text.Append(entity.Transcoded.AsSpan());
                break;
            case ContainerInline container:
                foreach (var child in container)
                {
                    AppendInline(child, text);
                }

                break;
        }
    }
}
