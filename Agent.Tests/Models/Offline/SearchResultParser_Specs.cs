using Agent.Worker.Models.Offline;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_a_search_tool_result_is_parsed
{
    [Test]
    public void Should_read_every_field_of_the_tool_contract()
    {
        const string Json = """
            {"query":"gin","results":[{"document_id":12,"chunk_id":345,"source":"sql-createindex.html",
            "title":"CREATE INDEX","heading":"Description","text":"CREATE INDEX constructs an index.","rank":0.52}]}
            """;

        Assert.That(SearchResultParser.TryParse(Json, out var passages), Is.True);
        Assert.That(passages, Is.EqualTo(new[]
        {
            new SearchPassage(12, 345, "sql-createindex.html", "CREATE INDEX", "Description", "CREATE INDEX constructs an index.", 0.52),
        }));
    }

    [Test]
    public void Should_accept_a_null_heading_and_an_empty_result_list()
    {
        using (Assert.EnterMultipleScope())
        {
            Assert.That(SearchResultParser.TryParse("""{"results":[{"title":"T","heading":null,"text":"x"}]}""", out var one), Is.True);
            Assert.That(one!.Single().Heading, Is.Null);
            Assert.That(SearchResultParser.TryParse("""{"query":"q","results":[]}""", out var none), Is.True);
            Assert.That(none, Is.Empty);
        }
    }

    [TestCase("Error: the database is unavailable")]
    [TestCase("""{"error":"timeout"}""")]
    [TestCase("[]")]
    public void Should_reject_text_that_is_not_a_search_result(string text)
    {
        Assert.That(SearchResultParser.TryParse(text, out _), Is.False);
    }
}
