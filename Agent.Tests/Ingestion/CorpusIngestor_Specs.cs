using System.Security.Cryptography;
using Agent.Persistence.Documents;
using Agent.Tests.Infrastructure;
using Agent.Worker.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Ingestion;

[TestFixture]
[Category("Integration")]
public sealed class When_real_manual_pages_are_ingested_twice
{
    private TestDatabase database = null!;
    private IngestReport first = null!;
    private IngestReport second = null!;
    private List<(long ChunkId, long DocumentId)> chunksAfterFirst = null!;
    private List<(long ChunkId, long DocumentId)> chunksAfterSecond = null!;

    [OneTimeSetUp]
    public async Task IngestTwice()
    {
        ManualPages.IgnoreIfMissing();
        database = await TestDatabase.CreateAsync();
        var ingestor = new CorpusIngestor(database.DataSource, TimeProvider.System, NullLogger<CorpusIngestor>.Instance);
        var files = ManualPages.Handful.Select(ManualPages.PathOf).ToList();

        first = await ingestor.IngestFilesAsync(files, CancellationToken.None);
        chunksAfterFirst = await ReadChunkIdsAsync();
        second = await ingestor.IngestFilesAsync(files, CancellationToken.None);
        chunksAfterSecond = await ReadChunkIdsAsync();
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [Test]
    public void Should_ingest_every_page_on_the_first_pass()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.FilesSeen, Is.EqualTo(ManualPages.Handful.Count));
            Assert.That(first.Ingested, Is.EqualTo(ManualPages.Handful.Count));
            Assert.That(first.Unchanged, Is.Zero);
            Assert.That(first.ChunksWritten, Is.EqualTo(chunksAfterFirst.Count));
            Assert.That(chunksAfterFirst.Select(c => c.DocumentId).Distinct().Count(), Is.EqualTo(ManualPages.Handful.Count),
                "every page has at least one chunk");
        }
    }

    [Test]
    public void Should_report_every_page_unchanged_and_write_nothing_on_the_second_pass()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(second.FilesSeen, Is.EqualTo(ManualPages.Handful.Count));
            Assert.That(second.Ingested, Is.Zero);
            Assert.That(second.Unchanged, Is.EqualTo(ManualPages.Handful.Count));
            Assert.That(second.ChunksWritten, Is.Zero);
            Assert.That(chunksAfterSecond, Is.EqualTo(chunksAfterFirst), "the same chunk rows, not rewritten copies");
        }
    }

    [Test]
    public async Task Should_keep_the_page_title_file_name_and_content_hash()
    {
        await using var context = database.CreateContext();
        var document = await context.Documents.SingleAsync(d => d.Source == "sql-createindex.html");
        var hash = Convert.ToHexStringLower(SHA256.HashData(await File.ReadAllBytesAsync(ManualPages.PathOf("sql-createindex.html"))));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(document.Title, Is.EqualTo("CREATE INDEX"));
            Assert.That(document.ContentHash, Is.EqualTo(hash));
        }
    }

    [Test]
    public async Task Should_store_one_chunk_per_section_in_page_order()
    {
        await using var context = database.CreateContext();
        var chunks = await context.Chunks.Where(c => c.Document!.Source == "sql-createindex.html").OrderBy(c => c.Ordinal).ToListAsync();
        var headings = chunks.Select(c => c.Heading).Distinct().ToList();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(chunks.Select(c => c.Ordinal), Is.EqualTo(Enumerable.Range(0, chunks.Count)));
            Assert.That(headings, Is.EqualTo(new[]
            {
                "CREATE INDEX", "Synopsis", "Description", "Parameters", "Index Storage Parameters",
                "Building Indexes Concurrently", "Notes", "Examples", "Compatibility", "See Also",
            }));
            Assert.That(chunks[1].Content, Does.StartWith("CREATE [ UNIQUE ] INDEX [ CONCURRENTLY ]"), "the synopsis keeps its <pre> text");
            Assert.That(chunks[1].Content, Does.Contain("\n    [ INCLUDE ( column_name [, ...] ) ]\n"), "the synopsis keeps its line breaks");
        }
    }

    [Test]
    public async Task Should_drop_the_navigation_of_every_page()
    {
        await using var context = database.CreateContext();
        var withNavigation = await context.Chunks.Where(c => c.Content.Contains("Prev | Up")).CountAsync();

        Assert.That(withNavigation, Is.Zero);
    }

    [Test]
    public async Task Should_split_long_sections_near_the_chunk_size()
    {
        await using var context = database.CreateContext();
        var lengths = await context.Chunks.Select(c => c.Content.Length).ToListAsync();

        Assert.That(lengths.Count(l => l > HtmlSectionExtractor.DefaultMaxChunkChars), Is.LessThan(lengths.Count / 20),
            "only single oversized paragraphs or listings exceed the chunk size");
    }

    private async Task<List<(long ChunkId, long DocumentId)>> ReadChunkIdsAsync()
    {
        await using var context = database.CreateContext();
        var rows = await context.Chunks.OrderBy(c => c.ChunkId).Select(c => new { c.ChunkId, c.DocumentId }).ToListAsync();
        return [.. rows.Select(r => (r.ChunkId, r.DocumentId))];
    }
}

[TestFixture]
[Category("Integration")]
public sealed class When_a_page_changes_between_ingests
{
    private TestDatabase database = null!;
    private DirectoryInfo directory = null!;

    [SetUp]
    public async Task CreateDatabaseAndCopyPages()
    {
        ManualPages.IgnoreIfMissing();
        database = await TestDatabase.CreateAsync();
        directory = System.IO.Directory.CreateTempSubdirectory("agent-ingest-");
        foreach (var name in new[] { "sql-createindex.html", "datatype-numeric.html" })
        {
            File.Copy(ManualPages.PathOf(name), Path.Combine(directory.FullName, name));
        }
    }

    [TearDown]
    public async Task DropDatabaseAndPages()
    {
        directory?.Delete(recursive: true);
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_replace_only_the_changed_page_and_keep_its_document_id()
    {
        var ingestor = new CorpusIngestor(database.DataSource, TimeProvider.System, NullLogger<CorpusIngestor>.Instance);
        await ingestor.IngestAsync(DocumentCollectionName.Default, directory.FullName, CancellationToken.None);
        var before = await ReadChunksAsync();

        var changedPath = Path.Combine(directory.FullName, "sql-createindex.html");
        var html = await File.ReadAllTextAsync(changedPath);
        await File.WriteAllTextAsync(changedPath, html.Replace("constructs an index", "builds a zebra index", StringComparison.Ordinal));
        var report = await ingestor.IngestAsync(DocumentCollectionName.Default, directory.FullName, CancellationToken.None);
        var after = await ReadChunksAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That((report.FilesSeen, report.Ingested, report.Unchanged), Is.EqualTo((2, 1, 1)));
            Assert.That(report.ChunksWritten, Is.EqualTo(after.Count(c => c.Source == "sql-createindex.html")));
            Assert.That(after.Where(c => c.Source == "datatype-numeric.html"), Is.EqualTo(before.Where(c => c.Source == "datatype-numeric.html")),
                "the unchanged page keeps its chunk rows");
            Assert.That(after.Where(c => c.Source == "sql-createindex.html").Select(c => c.DocumentId).Distinct(),
                Is.EqualTo(before.Where(c => c.Source == "sql-createindex.html").Select(c => c.DocumentId).Distinct()));
            Assert.That(
                after.Where(c => c.Source == "sql-createindex.html").Select(c => c.ChunkId)
                    .Intersect(before.Where(c => c.Source == "sql-createindex.html").Select(c => c.ChunkId)),
                Is.Empty, "the changed page's chunks were replaced");
            Assert.That(after.Count(c => c.Content.Contains("builds a zebra index", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(after.Count(c => c.Content.Contains("constructs an index", StringComparison.Ordinal)), Is.Zero);
        }
    }

    private async Task<List<(string Source, long DocumentId, long ChunkId, string Content)>> ReadChunksAsync()
    {
        await using var context = database.CreateContext();
        var rows = await context.Chunks.OrderBy(c => c.ChunkId)
            .Select(c => new { c.Document!.Source, c.DocumentId, c.ChunkId, c.Content }).ToListAsync();
        return [.. rows.Select(r => (r.Source, r.DocumentId, r.ChunkId, r.Content))];
    }
}
