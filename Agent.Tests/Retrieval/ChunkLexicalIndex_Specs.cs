using Agent.Tests.Infrastructure;
using Agent.Tests.Ingestion;
using Agent.Worker.Ingestion;
using Agent.Worker.Retrieval;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Retrieval;

[TestFixture]
[Category("Integration")]
public sealed class When_chunks_are_searched_in_the_lexical_index
{
    private const string Manual = "manual";

    private TestDatabase database = null!;
    private CorpusIngestor ingestor = null!;
    private ChunkLexicalIndex index = null!;
    private string folder = null!;

    [OneTimeSetUp]
    public async Task IngestHandful()
    {
        ManualPages.IgnoreIfMissing();
        database = await TestDatabase.CreateAsync();
        ingestor = new CorpusIngestor(database.DataSource, TimeProvider.System, NullLogger<CorpusIngestor>.Instance);
        await ingestor.IngestFilesAsync(Manual, ManualPages.Handful.Select(ManualPages.PathOf), CancellationToken.None);
        index = new ChunkLexicalIndex(database.DataSource, NullLogger<ChunkLexicalIndex>.Instance);
        folder = Path.Combine(Path.GetTempPath(), "agent-lexical-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        index?.Dispose();
        if (folder is not null && Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_rank_a_chunk_with_the_rare_exact_term_first_among_chunks_sharing_common_words()
    {
        // "fastupdate" is in a few chunks of the handful; "create", "index", "table" and "column" are in many. A rank
        // without inverse document frequency (term counts) puts long chunks full of common words first.
        const string Query = "create an index on a table column with fastupdate";

        var hits = await index.SearchAsync(Query, 10, [Manual], CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(await CountMatchingAsync("fastupdate"), Is.InRange(1, 10), "the term is rare in the handful");
            Assert.That(await CountMatchingAsync("index & table"), Is.GreaterThan(10), "the common words are not");
            Assert.That(hits, Is.Not.Empty);
            Assert.That(await MatchesAsync(hits[0].ChunkId, "fastupdate"), Is.True, "the first hit contains the exact term");
        }
    }

    [Test]
    public async Task Should_return_every_chunk_matching_all_terms_before_any_matching_only_some()
    {
        const string Query = "GIN index tsvector column";

        var hits = await index.SearchAsync(Query, 40, [Manual], CancellationToken.None);
        var all = new List<bool>();
        foreach (var hit in hits)
        {
            all.Add(await MatchesAsync(hit.ChunkId, "gin & index & tsvector & column"));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(all.Count(a => a), Is.EqualTo(await CountMatchingAsync("gin & index & tsvector & column")), "every full match is found");
            Assert.That(all, Has.Some.False, "partial matches follow");
            Assert.That(all, Is.Ordered.Descending);
            Assert.That(hits.Select(h => h.Score).Take(all.Count(a => a)), Is.Ordered.Descending, "a tier is ordered by score");
        }
    }

    [Test]
    public async Task Should_leave_out_chunks_with_a_word_excluded_by_a_minus()
    {
        var hits = await index.SearchAsync("gin index -tsvector", 40, [Manual], CancellationToken.None);
        var withTsvector = new List<long>();
        foreach (var hit in hits)
        {
            if (await MatchesAsync(hit.ChunkId, "tsvector"))
            {
                withTsvector.Add(hit.ChunkId);
            }
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(hits, Is.Not.Empty);
            Assert.That(withTsvector, Is.Empty);
            Assert.That(await CountMatchingAsync("gin & index & tsvector"), Is.Positive, "without the minus they would match");
        }
    }

    [Test]
    public async Task Should_see_a_page_ingested_after_the_first_search_and_reuse_the_postings_when_only_the_version_moved()
    {
        const string Collection = "fresh";
        await File.WriteAllTextAsync(Path.Combine(folder, "a.md"), "# Alpha page\n\nThe quokka grooms its fur at dawn.\n");
        await ingestor.IngestAsync(Collection, folder, CancellationToken.None);
        var first = await index.SearchAsync("zanzibar quokka", 5, [Collection], CancellationToken.None);
        var loadsAfterFirst = index.Loads;

        // A vector batch raises the version without touching the chunks.
        await using (var bump = database.DataSource.CreateCommand(
            "UPDATE agent.document_collections SET version = version + 1 WHERE name = 'fresh'"))
        {
            await bump.ExecuteNonQueryAsync();
        }

        await index.SearchAsync("quokka", 5, [Collection], CancellationToken.None);
        var loadsAfterBump = index.Loads;

        await File.WriteAllTextAsync(Path.Combine(folder, "b.md"), "# Beta page\n\nZanzibar is an island.\n");
        await ingestor.IngestAsync(Collection, folder, CancellationToken.None);
        var second = await index.SearchAsync("zanzibar quokka", 5, [Collection], CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first, Has.Count.EqualTo(1), "only the quokka page at first");
            Assert.That(loadsAfterBump, Is.EqualTo(loadsAfterFirst), "a version bump with the same chunks reuses the postings");
            Assert.That(second, Has.Count.EqualTo(2), "the page ingested after the first search is found by the next one");
            Assert.That(index.Loads, Is.EqualTo(loadsAfterFirst + 1));
        }
    }

    [Test]
    public async Task Should_find_nothing_for_stop_words_or_another_collection()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(await index.SearchAsync("the and of it", 5, [Manual], CancellationToken.None), Is.Empty);
            Assert.That(await index.SearchAsync("gin index", 5, ["no-such-collection"], CancellationToken.None), Is.Empty);
        }
    }

    [TestCase("'creat' & 'index' & !'gin'", new[] { "gin" })]
    [TestCase("'a' & !( 'b' <-> 'c' ) & !'it''s'", new[] { "it's" })]
    [TestCase("'creat' | 'index'", new string[0])]
    public void Should_read_the_excluded_lexemes_of_a_tsquery(string tsquery, string[] excluded) =>
        Assert.That(ChunkLexicalIndex.ExcludedLexemes(tsquery), Is.EquivalentTo(excluded));

    // A chunk's lexemes, as the index sees them: its page title's, its heading's and its body's.
    private async Task<long> CountMatchingAsync(string tsquery)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT count(*) FROM agent.chunks c JOIN agent.documents d USING (document_id) WHERE d.collection = 'manual' AND (d.title_vector || c.search_vector) @@ to_tsquery('english', $1)");
        command.Parameters.AddWithValue(tsquery);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<bool> MatchesAsync(long chunkId, string tsquery)
    {
        await using var command = database.DataSource.CreateCommand(
            "SELECT (d.title_vector || c.search_vector) @@ to_tsquery('english', $1) FROM agent.chunks c JOIN agent.documents d USING (document_id) WHERE c.chunk_id = $2");
        command.Parameters.AddWithValue(tsquery);
        command.Parameters.AddWithValue(chunkId);
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
