using System.Text.Json;
using Agent.Persistence.Documents;
using Agent.Tests.Infrastructure;
using Agent.Tests.Ingestion;
using Agent.Worker.Embeddings;
using Agent.Worker.Evaluation;
using Agent.Worker.Ingestion;
using Agent.Worker.Retrieval;
using Agent.Worker.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Retrieval;

[TestFixture]
[Category("Integration")]
public sealed class When_the_manual_is_searched_with_embeddings
{
    private static readonly ToolInvocation Invocation = new(Guid.NewGuid(), 0, "call_1");

    private TestDatabase database = null!;
    private MiniLmEmbeddingGenerator generator = null!;
    private ChunkEmbedder embedder = null!;
    private ChunkVectorIndex index = null!;
    private SearchDocumentsTool tool = null!;
    private int embeddedFirst;

    [OneTimeSetUp]
    public async Task IngestAndEmbed()
    {
        ManualPages.IgnoreIfMissing();
        database = await TestDatabase.CreateAsync();
        var ingestor = new CorpusIngestor(database.DataSource, TimeProvider.System, NullLogger<CorpusIngestor>.Instance);
        string[] pages = [.. ManualPages.Handful, "sql-truncate.html", "sql-delete.html", "sql-insert.html"];
        await ingestor.IngestFilesAsync(pages.Select(ManualPages.PathOf), CancellationToken.None);
        var options = new EmbeddingOptions();
        generator = new MiniLmEmbeddingGenerator(options);
        embedder = new ChunkEmbedder(database.DataSource, generator, options, NullLogger<ChunkEmbedder>.Instance);
        embeddedFirst = await embedder.EmbedMissingAsync(null, CancellationToken.None);
        index = new ChunkVectorIndex(database.DataSource, generator, TimeProvider.System, NullLogger<ChunkVectorIndex>.Instance);
        tool = new SearchDocumentsTool(database.DataSource, new ChunkLexicalIndex(database.DataSource, NullLogger<ChunkLexicalIndex>.Instance), index);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        index?.Dispose();
        generator?.Dispose();
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_embed_every_chunk_text_once()
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT (SELECT count(DISTINCT text_hash) FROM agent.chunks), (SELECT count(*) FROM agent.chunk_embeddings)");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(embeddedFirst, Is.EqualTo(reader.GetInt64(0)), "the first pass embeds each distinct text");
            Assert.That(reader.GetInt64(1), Is.EqualTo(reader.GetInt64(0)), "one vector per distinct text");
            Assert.That(await embedder.EmbedMissingAsync(null, CancellationToken.None), Is.Zero, "a second pass embeds nothing");
        }
    }

    [Test]
    public async Task Should_find_truncate_by_meaning_for_the_fastest_way_to_empty_a_large_table()
    {
        var nearest = await index.NearestAsync("the fastest way to empty a large table", 3, [DocumentCollectionName.Default], CancellationToken.None);

        await using var command = database.DataSource.CreateCommand(
            "SELECT d.source FROM agent.chunks c JOIN agent.documents d USING (document_id) WHERE c.chunk_id = ANY($1)");
        command.Parameters.AddWithValue(nearest.Select(n => n.ChunkId).ToArray());
        var sources = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            sources.Add(reader.GetString(0));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(sources, Has.Member("sql-truncate.html"));
            Assert.That(nearest.Select(n => n.Similarity), Is.Ordered.Descending);
        }
    }

    [Test]
    public async Task Should_rank_the_truncate_page_first_in_hybrid_search()
    {
        var json = await tool.InvokeAsync(
            JsonDocument.Parse("""{"query":"What is the fastest way to empty a large table?"}""").RootElement, Invocation, CancellationToken.None);

        var sources = JsonDocument.Parse(json).RootElement.GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("source").GetString()).ToList();
        Assert.That(sources.Take(3), Has.Member("sql-truncate.html"));
    }

    [Test]
    public async Task Should_still_find_the_text_search_index_page_for_a_gin_index_on_a_tsvector_column()
    {
        var json = await tool.InvokeAsync(
            JsonDocument.Parse("""{"query":"How do I create a GIN index on a tsvector column?"}""").RootElement, Invocation, CancellationToken.None);

        var sources = JsonDocument.Parse(json).RootElement.GetProperty("results").EnumerateArray()
            .Select(r => r.GetProperty("source").GetString()).ToList();
        Assert.That(sources.Take(3), Has.Member("textsearch-indexes.html"));
    }
}

[TestFixture]
public sealed class When_eval_figures_are_compared
{
    private static readonly SortedDictionary<string, CategoryFigures> Recorded = new()
    {
        ["all"] = new CategoryFigures(100, 60, 80, 90, 90),
    };

    [Test]
    public void Should_pass_a_drop_of_two_points() =>
        Assert.That(EvalFigures.Regressions(Recorded, new SortedDictionary<string, CategoryFigures> { ["all"] = new(100, 58, 78, 88, 88) }), Is.Empty);

    [Test]
    public void Should_fail_a_drop_of_more_than_two_points()
    {
        var regressions = EvalFigures.Regressions(Recorded, new SortedDictionary<string, CategoryFigures> { ["all"] = new(100, 60, 80, 90, 87.9) });

        Assert.That(regressions, Has.Count.EqualTo(1).And.One.Contains("cited"));
    }

    [Test]
    public void Should_fail_when_a_recorded_category_is_missing() =>
        Assert.That(EvalFigures.Regressions(Recorded, new SortedDictionary<string, CategoryFigures>()), Has.Count.EqualTo(1));
}
