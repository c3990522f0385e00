using Agent.Persistence.Documents;
using Agent.Tests.Infrastructure;
using Agent.Worker.Embeddings;
using Agent.Worker.Ingestion;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Collections;

[TestFixture]
[Category("Integration")]
public sealed class When_a_folder_is_ingested_into_a_collection
{
    private static int collectionCounter;

    private TestDatabase database = null!;
    private CorpusIngestor ingestor = null!;
    private WordHashEmbeddingGenerator generator = null!;
    private ChunkEmbedder embedder = null!;
    private CollectionFiles files = null!;
    private string collection = null!;
    private string topic = null!;

    [OneTimeSetUp]
    public async Task CreateDatabase()
    {
        database = await TestDatabase.CreateAsync();
        ingestor = new CorpusIngestor(database.DataSource, TimeProvider.System, NullLogger<CorpusIngestor>.Instance);
        generator = new WordHashEmbeddingGenerator();
        embedder = new ChunkEmbedder(database.DataSource, generator, new EmbeddingOptions(), NullLogger<ChunkEmbedder>.Instance);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        generator?.Dispose();
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [SetUp]
    public void WriteFolder()
    {
        // Each test has its own folder, collection and topic word (chunks of equal text share a vector across
        // collections); the database is shared.
        var n = Interlocked.Increment(ref collectionCounter);
        collection = $"handbook-{n}";
        topic = $"zorblax{n}";
        files = new CollectionFiles().WriteMixed(topic);
    }

    [TearDown]
    public void DeleteFolder() => files.Dispose();

    [Test]
    public async Task Should_read_markdown_text_pdf_and_html_recursively_and_skip_other_files()
    {
        var report = await ingestor.IngestAsync(collection, files.Root, CancellationToken.None);

        var documents = await DocumentsAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.Added, Is.EqualTo(new[] { "guide.md", "notes/plain.txt", "page.html", "report.pdf" }));
            Assert.That(documents.Select(d => d.Source), Is.EqualTo(new[] { "guide.md", "notes/plain.txt", "page.html", "report.pdf" }));
            Assert.That(documents.Single(d => d.Source == "guide.md").Title, Is.EqualTo($"The {topic} guide"));
            Assert.That(documents.Single(d => d.Source == "report.pdf").Title, Is.EqualTo($"Quarterly {topic} report"));
            Assert.That(documents.Single(d => d.Source == "notes/plain.txt").Title, Is.EqualTo("plain.txt"));
            Assert.That(documents.Single(d => d.Source == "page.html").Title, Is.EqualTo($"{topic} web page"));
        }

        var chunks = await ChunksAsync();
        using (Assert.EnterMultipleScope())
        {
            var guide = chunks.Where(c => c.Source == "guide.md").ToList();
            Assert.That(guide.Select(c => c.Heading), Is.EqualTo(new[] { $"The {topic} guide", "Installing the flux capacitor" }));
            Assert.That(guide[1].Content, Does.Contain($"Run the installer, then check the {topic} flux capacitor with the checker."));
            Assert.That(guide[1].Content, Does.Contain("- first item about calibration"));
            Assert.That(guide[1].Content, Does.Contain($"calibrate --flux {topic}"));
            Assert.That(guide[1].Content, Does.Contain("warp | nine"));
            Assert.That(string.Join("\n", guide.Select(c => c.Content)), Does.Not.Contain("layout"));
            Assert.That(chunks.Where(c => c.Source == "report.pdf").Select(c => c.Heading), Is.EqualTo(new[] { "Page 1", "Page 2" }));
            Assert.That(chunks.Single(c => c.Source == "report.pdf" && c.Heading == "Page 1").Content, Does.Contain("reactor output rose by nine percent"));
            Assert.That(chunks.Single(c => c.Source == "notes/plain.txt").Content, Does.Contain("turbo encabulator needs oiling.\n\nSecond paragraph"));
            Assert.That(chunks.Single(c => c.Source == "page.html").Content, Does.Contain("hyperdrive motivator"));
        }
    }

    [Test]
    public async Task Should_change_nothing_and_embed_nothing_when_ingested_again()
    {
        await ingestor.IngestAsync(collection, files.Root, CancellationToken.None);
        var embeddedFirst = await embedder.EmbedMissingAsync(null, CancellationToken.None);
        var chunksBefore = await ChunksAsync();
        var versionBefore = await VersionAsync();
        var generatorCallsBefore = generator.Embedded;

        var second = await ingestor.IngestAsync(collection, files.Root, CancellationToken.None);
        var embeddedSecond = await embedder.EmbedMissingAsync(null, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(embeddedFirst, Is.GreaterThan(0));
            Assert.That(second.Added, Is.Empty);
            Assert.That(second.Updated, Is.Empty);
            Assert.That(second.Removed, Is.Empty);
            Assert.That(second.Unchanged, Is.EqualTo(4));
            Assert.That(second.ChunksWritten, Is.Zero);
            Assert.That(await ChunksAsync(), Is.EqualTo(chunksBefore));
            Assert.That(embeddedSecond, Is.Zero);
            Assert.That(generator.Embedded, Is.EqualTo(generatorCallsBefore));
            Assert.That(await VersionAsync(), Is.EqualTo(versionBefore));
        }
    }

    [Test]
    public async Task Should_update_only_the_edited_file()
    {
        await ingestor.IngestAsync(collection, files.Root, CancellationToken.None);
        await embedder.EmbedMissingAsync(null, CancellationToken.None);
        var before = await ChunksAsync();
        var versionBefore = await VersionAsync();

        files.Write("notes/plain.txt", "Plain notes, rewritten: the sprocket must be replaced yearly.");
        var report = await ingestor.IngestAsync(collection, files.Root, CancellationToken.None);
        var embedded = await embedder.EmbedMissingAsync(null, CancellationToken.None);

        var after = await ChunksAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.Updated, Is.EqualTo(new[] { "notes/plain.txt" }));
            Assert.That(report.Added, Is.Empty);
            Assert.That(report.Removed, Is.Empty);
            Assert.That(report.Unchanged, Is.EqualTo(3));
            Assert.That(after.Where(c => c.Source != "notes/plain.txt"), Is.EqualTo(before.Where(c => c.Source != "notes/plain.txt")));
            Assert.That(after.Single(c => c.Source == "notes/plain.txt").Content, Is.EqualTo("Plain notes, rewritten: the sprocket must be replaced yearly."));
            Assert.That(embedded, Is.EqualTo(1), "only the edited file's one new chunk text is embedded");
            Assert.That(await VersionAsync(), Is.GreaterThan(versionBefore));
        }
    }

    [Test]
    public async Task Should_remove_the_chunks_and_vectors_of_a_deleted_file()
    {
        await ingestor.IngestAsync(collection, files.Root, CancellationToken.None);
        await embedder.EmbedMissingAsync(null, CancellationToken.None);
        var pdfHashes = await TextHashesAsync("report.pdf");

        files.Delete("report.pdf");
        var report = await ingestor.IngestAsync(collection, files.Root, CancellationToken.None);
        await embedder.EmbedMissingAsync(null, CancellationToken.None);

        await using var context = database.CreateContext();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.Removed, Is.EqualTo(new[] { "report.pdf" }));
            Assert.That(report.Unchanged, Is.EqualTo(3));
            Assert.That((await DocumentsAsync()).Select(d => d.Source), Does.Not.Contain("report.pdf"));
            Assert.That((await ChunksAsync()).Select(c => c.Source), Does.Not.Contain("report.pdf"));
            Assert.That(pdfHashes, Is.Not.Empty);
            Assert.That(await context.ChunkEmbeddings.CountAsync(e => pdfHashes.Contains(e.TextHash)), Is.Zero);
        }
    }

    [Test]
    public async Task Should_keep_other_collections_untouched()
    {
        using var other = new CollectionFiles().WriteMixed(topic + "other");
        var otherCollection = collection + "-other";
        await ingestor.IngestAsync(otherCollection, other.Root, CancellationToken.None);
        await ingestor.IngestAsync(collection, files.Root, CancellationToken.None);

        // Same relative paths in both collections: each is its own document, and emptying one leaves the other.
        files.Delete("guide.md");
        var report = await ingestor.IngestAsync(collection, files.Root, CancellationToken.None);

        await using var context = database.CreateContext();
        var otherSources = await context.Documents.Where(d => d.Collection == otherCollection).Select(d => d.Source).OrderBy(s => s).ToListAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(report.Removed, Is.EqualTo(new[] { "guide.md" }));
            Assert.That(otherSources, Is.EqualTo(new[] { "guide.md", "notes/plain.txt", "page.html", "report.pdf" }));
        }
    }

    [TestCase("")]
    [TestCase("Upper")]
    [TestCase("has space")]
    [TestCase("-leading-dash")]
    [TestCase("slash/name")]
    public void Should_refuse_an_invalid_collection_name(string name) =>
        Assert.That(
            async () => await ingestor.IngestAsync(name, files.Root, CancellationToken.None),
            Throws.ArgumentException.With.Message.Contains("collection name"));

    private async Task<List<Document>> DocumentsAsync()
    {
        await using var context = database.CreateContext();
        return await context.Documents.Where(d => d.Collection == collection).OrderBy(d => d.Source).ToListAsync();
    }

    private async Task<List<(long ChunkId, string Source, string Heading, string Content)>> ChunksAsync()
    {
        await using var context = database.CreateContext();
        var rows = await context.Chunks.Where(c => c.Document!.Collection == collection)
            .OrderBy(c => c.Document!.Source).ThenBy(c => c.Ordinal)
            .Select(c => new { c.ChunkId, c.Document!.Source, c.Heading, c.Content })
            .ToListAsync();
        return [.. rows.Select(r => (r.ChunkId, r.Source, r.Heading, r.Content))];
    }

    private async Task<List<string>> TextHashesAsync(string source)
    {
        await using var context = database.CreateContext();
        return await context.Chunks.Where(c => c.Document!.Collection == collection && c.Document.Source == source).Select(c => c.TextHash).ToListAsync();
    }

    private async Task<long> VersionAsync()
    {
        await using var context = database.CreateContext();
        return await context.DocumentCollections.Where(c => c.Name == collection).Select(c => c.Version).SingleAsync();
    }
}
