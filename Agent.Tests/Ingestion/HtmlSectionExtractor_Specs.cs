using System.Text;
using Agent.Worker.Ingestion;

namespace Agent.Tests.Ingestion;

[TestFixture]
public sealed class When_a_docbook_page_is_cut_into_sections
{
    // The shape of a page of the PostgreSQL manual, abridged: navigation, a sect1 with sect2s, an admonition,
    // a program listing, a list and a table.
    private const string Html = """
        <?xml version="1.0" encoding="UTF-8" standalone="no"?>
        <!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
        <html xmlns="http://www.w3.org/1999/xhtml"><head><title>11.2. Index  Types</title><style>p { color: red }</style></head>
        <body><div class="navheader"><table><tr><th colspan="3">11.2. Index Types</th></tr>
        <tr><td><a href="indexes-basics.html">Prev</a></td><td><a href="indexes.html">Up</a></td><td><a href="x.html">Next</a></td></tr></table><hr /></div>
        <div class="sect1" id="INDEXES-TYPES"><div class="titlepage"><div><div><h2 class="title">11.2. Index Types</h2></div></div></div>
        <div class="toc"><dl class="toc"><dt><a href="#B">11.2.1. B-Tree</a></dt></dl></div>
        <p>
           <span class="productname">PostgreSQL</span> provides several index types:
           B-tree, Hash.
        </p>
        <div class="note"><h3 class="title">Note</h3><p>Indexes are not free.</p></div>
        <div class="sect2" id="B"><div class="titlepage"><div><div><h3 class="title">11.2.1. B-Tree</h3></div></div></div>
        <p>B-trees can handle equality and range queries.</p>
        <pre class="programlisting">
        CREATE INDEX test1_id_index ON test1 (id);

            -- indented, after a blank line
        SELECT * FROM test1 WHERE id &lt; 10;
        </pre>
        <div class="itemizedlist"><ul class="itemizedlist"><li class="listitem"><p><code>&lt;</code> less</p></li><li class="listitem"><p>equal</p></li></ul></div>
        </div>
        <div class="sect2" id="H"><div class="titlepage"><div><div><h3 class="title">11.2.2. Hash</h3></div></div></div>
        <table><tr><th>Operator</th><th>Meaning</th></tr><tr><td><code>=</code></td><td>equality</td></tr></table>
        </div></div>
        <div class="navfooter"><hr /><table><tr><td><a href="indexes-basics.html">Prev</a></td><td>Home</td><td>Next</td></tr></table></div>
        </body></html>
        """;

    private ParsedDocument page = null!;

    [OneTimeSetUp]
    public void Extract() => page = HtmlSectionExtractor.Extract(Html);

    [Test]
    public void Should_take_the_title_from_the_title_element_with_whitespace_collapsed() =>
        Assert.That(page.Title, Is.EqualTo("11.2. Index Types"));

    [Test]
    public void Should_start_a_section_at_each_structural_heading_with_the_page_title_first() =>
        Assert.That(page.Sections.Select(s => s.Heading), Is.EqualTo(new[] { "11.2. Index Types", "11.2.1. B-Tree", "11.2.2. Hash" }));

    [Test]
    public void Should_drop_navigation_table_of_contents_and_styles()
    {
        var text = string.Join("\n", page.Sections.Select(s => s.Content));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(text, Does.Not.Contain("Prev"));
            Assert.That(text, Does.Not.Contain("Home"));
            Assert.That(text, Does.Not.Contain("color: red"));
            Assert.That(page.Sections[0].Content, Does.Not.Contain("B-Tree"), "the table of contents stays out");
        }
    }

    [Test]
    public void Should_collapse_whitespace_in_paragraphs_and_separate_paragraphs_with_a_blank_line() =>
        Assert.That(page.Sections[0].Content,
            Is.EqualTo("PostgreSQL provides several index types: B-tree, Hash.\n\nNote: Indexes are not free."));

    [Test]
    public void Should_keep_pre_text_verbatim()
    {
        const string Listing =
            "CREATE INDEX test1_id_index ON test1 (id);\n\n    -- indented, after a blank line\nSELECT * FROM test1 WHERE id < 10;";
        Assert.That(page.Sections[1].Content, Does.Contain("B-trees can handle equality and range queries.\n\n" + Listing + "\n\n"));
    }

    [Test]
    public void Should_write_list_items_as_bullets() =>
        Assert.That(page.Sections[1].Content, Does.EndWith("- < less\n\n- equal"));

    [Test]
    public void Should_join_table_cells_and_end_rows() =>
        Assert.That(page.Sections[2].Content, Is.EqualTo("Operator | Meaning\n\n= | equality"));
}

[TestFixture]
public sealed class When_a_section_is_longer_than_the_chunk_size
{
    private const int MaxChunkChars = 1000;

    private readonly List<string> paragraphs = [.. Enumerable.Range(1, 12).Select(i => $"Paragraph {i:00} " + new string('x', 280) + ".")];

    private readonly string listing = string.Join("\n", Enumerable.Range(1, 60).Select(i => $"  line {i:00} of a long listing;"));

    private ParsedDocument page = null!;

    [OneTimeSetUp]
    public void Extract()
    {
        var html = new StringBuilder("<html><head><title>Long</title></head><body><div class=\"sect1\"><h2>Long</h2>");
        foreach (var paragraph in paragraphs.Take(6))
        {
            html.Append("<p>").Append(paragraph).Append("</p>");
        }

        html.Append("<pre>").Append(listing).Append("</pre>");
        foreach (var paragraph in paragraphs.Skip(6))
        {
            html.Append("<p>").Append(paragraph).Append("</p>");
        }

        html.Append("</div></body></html>");
        page = HtmlSectionExtractor.Extract(html.ToString(), MaxChunkChars);
    }

    [Test]
    public void Should_split_it_into_several_chunks_under_the_same_heading()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(page.Sections, Has.Count.GreaterThan(3));
            Assert.That(page.Sections.Select(s => s.Heading), Is.All.EqualTo("Long"));
        }
    }

    [Test]
    public void Should_split_only_at_paragraph_boundaries()
    {
        var expected = paragraphs.Take(6).Append(listing).Concat(paragraphs.Skip(6)).ToList();
        var actual = page.Sections.SelectMany(s => s.Content.Split("\n\n")).ToList();
        Assert.That(actual, Is.EqualTo(expected));
    }

    [Test]
    public void Should_keep_chunks_within_the_size_unless_one_paragraph_is_larger()
    {
        Assert.That(listing, Has.Length.GreaterThan(MaxChunkChars), "the listing is the one oversized paragraph");
        Assert.That(page.Sections.Where(s => s.Content != listing).Select(s => s.Content.Length), Is.All.LessThanOrEqualTo(MaxChunkChars));
    }

    [Test]
    public void Should_keep_a_long_pre_block_whole_in_one_chunk() =>
        Assert.That(page.Sections.Select(s => s.Content), Has.Some.Contains(listing));
}

[TestFixture]
public sealed class When_a_page_holds_only_a_table_of_contents
{
    [Test]
    public void Should_keep_the_table_of_contents_so_the_page_can_be_found()
    {
        const string Html = """
            <html><head><title>Chapter 70. GIN Indexes</title></head><body>
            <div class="navheader">Prev Next</div>
            <div class="chapter"><div class="titlepage"><h2 class="title">Chapter 70. GIN Indexes</h2></div>
            <div class="toc"><p><strong>Table of Contents</strong></p><dl class="toc"><dt><a href="gin-intro.html">70.1. Introduction</a></dt>
            <dt><a href="gin-tips.html">70.5. GIN Tips and Tricks</a></dt></dl></div></div>
            <div class="navfooter">Prev Next</div></body></html>
            """;

        var page = HtmlSectionExtractor.Extract(Html);

        Assert.That(page.Sections, Is.EqualTo(new[]
        {
            new DocumentSection("Chapter 70. GIN Indexes", "Table of Contents\n\n70.1. Introduction\n\n70.5. GIN Tips and Tricks"),
        }));
    }
}
