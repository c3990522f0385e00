using System.Text.Json;
using Agent.Tests.Infrastructure;
using Agent.Tests.Ingestion;
using Agent.Worker.Ingestion;
using Agent.Worker.Retrieval;
using Agent.Worker.Tools;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Retrieval;

[TestFixture]
[Category("Integration")]
public sealed class When_the_manual_is_searched
{
    private static readonly ToolInvocation Invocation = new(Guid.NewGuid(), 0, "call_1");

    private TestDatabase database = null!;
    private ChunkLexicalIndex lexical = null!;
    private SearchDocumentsTool tool = null!;

    [OneTimeSetUp]
    public async Task IngestHandful()
    {
        ManualPages.IgnoreIfMissing();
        database = await TestDatabase.CreateAsync();
        var ingestor = new CorpusIngestor(database.DataSource, TimeProvider.System, NullLogger<CorpusIngestor>.Instance);
        await ingestor.IngestFilesAsync(ManualPages.Handful.Select(ManualPages.PathOf), CancellationToken.None);
        lexical = new ChunkLexicalIndex(database.DataSource, NullLogger<ChunkLexicalIndex>.Instance);
        tool = new SearchDocumentsTool(database.DataSource, lexical);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        lexical?.Dispose();
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_rank_the_create_index_page_first_for_how_to_create_an_index()
    {
        var results = await SearchAsync("""{"query":"How do I create an index?"}""");

        Assert.That(results.Select(r => r.Source).First(), Is.EqualTo("sql-createindex.html"));
    }

    [Test]
    public async Task Should_find_the_text_search_index_page_near_the_top_for_a_gin_index_on_a_tsvector_column()
    {
        var results = await SearchAsync("""{"query":"How do I create a GIN index on a tsvector column?"}""");

        Assert.That(results.Take(3).Select(r => r.Source), Has.Member("textsearch-indexes.html"));
    }

    [Test]
    public async Task Should_rank_chunks_matching_all_terms_before_chunks_matching_any()
    {
        const string Query = "How do I create a GIN index on a tsvector column?";
        var results = await SearchAsync($$"""{"query":"{{Query}}","k":20}""");

        var matchesAll = new List<bool>();
        foreach (var result in results)
        {
            await using var command = database.DataSource.CreateCommand(
                "SELECT (d.title_vector || c.search_vector) @@ websearch_to_tsquery('english', $1) FROM agent.chunks c JOIN agent.documents d USING (document_id) WHERE c.chunk_id = $2");
            command.Parameters.AddWithValue(Query);
            command.Parameters.AddWithValue(result.ChunkId);
            matchesAll.Add((bool)(await command.ExecuteScalarAsync())!);
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(matchesAll, Has.Some.True, "some chunks match every term");
            Assert.That(matchesAll, Has.Some.False, "chunks matching only some terms follow");
            Assert.That(matchesAll, Is.Ordered.Descending, "every full match comes before every partial match");
        }
    }

    [Test]
    public async Task Should_fall_back_to_chunks_matching_any_term_when_none_matches_all()
    {
        var results = await SearchAsync("""{"query":"zebra giraffe numeric precision"}""");

        Assert.That(results.Select(r => r.Source), Has.Member("datatype-numeric.html"));
    }

    [Test]
    public async Task Should_return_the_documented_shape_with_at_most_k_results()
    {
        var json = await tool.InvokeAsync(Arguments("""{"query":"index types","k":3}"""), Invocation, CancellationToken.None);

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        var results = root.GetProperty("results").EnumerateArray().ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(root.GetProperty("query").GetString(), Is.EqualTo("index types"));
            Assert.That(results, Has.Count.EqualTo(3));
            foreach (var result in results)
            {
                Assert.That(result.EnumerateObject().Select(p => p.Name),
                    Is.EqualTo(new[] { "document_id", "chunk_id", "source", "title", "heading", "text", "rank" }));
                Assert.That(result.GetProperty("document_id").GetInt64(), Is.Positive);
                Assert.That(result.GetProperty("chunk_id").GetInt64(), Is.Positive);
                Assert.That(result.GetProperty("source").GetString(), Does.EndWith(".html"));
                Assert.That(result.GetProperty("title").GetString(), Is.Not.Empty);
                Assert.That(result.GetProperty("heading").GetString(), Is.Not.Empty);
                Assert.That(result.GetProperty("text").GetString(), Has.Length.InRange(1, SearchDocumentsTool.MaxTextChars + 1));
                Assert.That(result.GetProperty("rank").GetDouble(), Is.Positive);
            }
        }
    }

    [Test]
    public async Task Should_return_five_results_by_default()
    {
        var results = await SearchAsync("""{"query":"index"}""");

        Assert.That(results, Has.Count.EqualTo(SearchDocumentsTool.DefaultK));
    }

    [Test]
    public async Task Should_return_no_results_for_a_query_of_stop_words_only()
    {
        var results = await SearchAsync("""{"query":"the and of it"}""");

        Assert.That(results, Is.Empty);
    }

    [TestCase("""{"query":"it's a \\ back'slash' & | ! :* <-> (\"unclosed"}""")]
    [TestCase("""{"query":"-index OR \"create index\""}""")]
    public void Should_treat_query_syntax_as_text(string arguments) =>
        Assert.That(async () => await tool.InvokeAsync(Arguments(arguments), Invocation, CancellationToken.None), Throws.Nothing);

    [TestCase("""[]""")]
    [TestCase("""{}""")]
    [TestCase("""{"query":null}""")]
    [TestCase("""{"query":""}""")]
    [TestCase("""{"query":"   "}""")]
    [TestCase("""{"query":42}""")]
    [TestCase("""{"query":"index","k":0}""")]
    [TestCase("""{"query":"index","k":21}""")]
    [TestCase("""{"query":"index","k":2.5}""")]
    [TestCase("""{"query":"index","k":"many"}""")]
    public void Should_reject_bad_arguments(string arguments) =>
        Assert.That(async () => await tool.InvokeAsync(Arguments(arguments), Invocation, CancellationToken.None),
            Throws.TypeOf<ToolArgumentException>().With.Message.Not.Empty);

    [Test]
    public void Should_reject_a_query_longer_than_the_limit()
    {
        var arguments = JsonSerializer.Serialize(new { query = new string('a', SearchDocumentsTool.MaxQueryChars + 1) });

        Assert.That(async () => await tool.InvokeAsync(Arguments(arguments), Invocation, CancellationToken.None),
            Throws.TypeOf<ToolArgumentException>().With.Message.Contains("at most"));
    }

    private static JsonElement Arguments(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private async Task<List<SearchResult>> SearchAsync(string arguments)
    {
        var json = await tool.InvokeAsync(Arguments(arguments), Invocation, CancellationToken.None);
        using var document = JsonDocument.Parse(json);
        return
        [
            .. document.RootElement.GetProperty("results").EnumerateArray().Select(r => new SearchResult(
                r.GetProperty("chunk_id").GetInt64(), r.GetProperty("source").GetString()!, r.GetProperty("rank").GetDouble())),
        ];
    }

    private sealed record SearchResult(long ChunkId, string Source, double Rank);
}
