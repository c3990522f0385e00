using System.Text.Json;
using Agent.Tests.Infrastructure;
using Agent.Tests.Ingestion;
using Agent.Worker.Ingestion;
using Agent.Worker.Retrieval;
using Agent.Worker.Tools;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Retrieval;

[TestFixture]
[Category("Integration")]
public sealed class When_a_manual_page_is_read
{
    private static readonly ToolInvocation Invocation = new(Guid.NewGuid(), 0, "call_1");

    private TestDatabase database = null!;
    private ReadDocumentTool tool = null!;
    private long createIndexId;

    [OneTimeSetUp]
    public async Task IngestPages()
    {
        ManualPages.IgnoreIfMissing();
        database = await TestDatabase.CreateAsync();
        var ingestor = new CorpusIngestor(database.DataSource, TimeProvider.System, NullLogger<CorpusIngestor>.Instance);
        await ingestor.IngestFilesAsync(
            new[] { "sql-createindex.html", "mvcc-intro.html" }.Select(ManualPages.PathOf), CancellationToken.None);
        await using var context = database.CreateContext();
        createIndexId = await context.Documents.Where(d => d.Source == "sql-createindex.html").Select(d => d.DocumentId).SingleAsync();
        tool = new ReadDocumentTool(database.DataSource);
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
    public async Task Should_return_the_page_text_cut_at_the_default_length()
    {
        using var result = await ReadAsync($$"""{"document_id":{{createIndexId}}}""");
        var root = result.RootElement;
        var text = root.GetProperty("text").GetString()!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(root.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "document_id", "source", "title", "text", "truncated" }));
            Assert.That(root.GetProperty("document_id").GetInt64(), Is.EqualTo(createIndexId));
            Assert.That(root.GetProperty("source").GetString(), Is.EqualTo("sql-createindex.html"));
            Assert.That(root.GetProperty("title").GetString(), Is.EqualTo("CREATE INDEX"));
            Assert.That(text, Does.StartWith("CREATE INDEX\n\nCREATE INDEX — define a new index\n\nSynopsis\n\nCREATE [ UNIQUE ] INDEX"));
            Assert.That(text, Does.Contain("\n\nDescription\n\nCREATE INDEX constructs an index on the specified column(s)"));
            Assert.That(text, Has.Length.EqualTo(ReadDocumentTool.DefaultMaxChars));
            Assert.That(root.GetProperty("truncated").GetBoolean(), Is.True);
        }
    }

    [Test]
    public async Task Should_return_the_whole_page_with_each_heading_once_when_it_fits()
    {
        using var result = await ReadAsync($$"""{"document_id":{{createIndexId}},"max_chars":100000}""");
        var text = result.RootElement.GetProperty("text").GetString()!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.RootElement.GetProperty("truncated").GetBoolean(), Is.False);
            Assert.That(text, Does.Contain("\n\nExamples\n\nTo create a unique B-tree index on the column title in the table films:"));
            Assert.That(text, Does.EndWith("ALTER INDEX, DROP INDEX, REINDEX, Section 28.4.2"));
            Assert.That(text.Split("\n\nParameters\n\n"), Has.Length.EqualTo(2), "a split section's heading is written once");
        }
    }

    [Test]
    public async Task Should_cut_the_text_at_max_chars()
    {
        using var result = await ReadAsync($$"""{"document_id":{{createIndexId}},"max_chars":500}""");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(result.RootElement.GetProperty("text").GetString(), Has.Length.EqualTo(500));
            Assert.That(result.RootElement.GetProperty("truncated").GetBoolean(), Is.True);
        }
    }

    [Test]
    public void Should_reject_an_unknown_document_id() =>
        Assert.That(async () => await ReadAsync("""{"document_id":987654321}"""),
            Throws.TypeOf<ToolArgumentException>().With.Message.EqualTo("No document with id 987654321"));

    [TestCase("""{}""")]
    [TestCase("""{"document_id":null}""")]
    [TestCase("""{"document_id":"abc"}""")]
    [TestCase("""{"document_id":0}""")]
    [TestCase("""{"document_id":-3}""")]
    [TestCase("""{"document_id":1,"max_chars":5}""")]
    [TestCase("""{"document_id":1,"max_chars":"lots"}""")]
    [TestCase("""["document_id"]""")]
    public void Should_reject_bad_arguments(string arguments) =>
        Assert.That(async () => await ReadAsync(arguments), Throws.TypeOf<ToolArgumentException>().With.Message.Not.Empty);

    private async Task<JsonDocument> ReadAsync(string arguments)
    {
        var json = await tool.InvokeAsync(JsonDocument.Parse(arguments).RootElement.Clone(), Invocation, CancellationToken.None);
        return JsonDocument.Parse(json);
    }
}
