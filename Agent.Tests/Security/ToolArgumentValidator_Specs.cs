using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Tests.Fakes;
using Agent.Worker.Graphs;
using Agent.Worker.Retrieval;
using Agent.Worker.Tools;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Agent.Tests.Security;

[TestFixture]
public sealed class When_tool_arguments_are_checked_against_the_tools_schema
{
    // The tools' schemas need no database; the data source is never opened.
    private static readonly NpgsqlDataSource Unused = NpgsqlDataSource.Create("Host=unused");
    private static readonly JsonElement Search = new SearchDocumentsTool(Unused, new ChunkLexicalIndex(Unused, NullLogger<ChunkLexicalIndex>.Instance)).ParametersSchema;
    private static readonly JsonElement Read = new ReadDocumentTool(Unused).ParametersSchema;

    [OneTimeTearDown]
    public void DisposeDataSource() => Unused.Dispose();

    [TestCase("""{"query":"gin index"}""")]
    [TestCase("""{"query":"gin index","k":20}""")]
    [TestCase("""{"query":"gin index","k":"3"}""")]
    [TestCase("""{"query":"gin index","k":null}""")]
    [TestCase("""{"query":"'; DROP TABLE agent.chunks; --"}""")]
    public void Should_accept_arguments_that_fit_search_documents(string json) =>
        Assert.That(ToolArgumentValidator.Validate(Search, Parse(json)), Is.Null);

    [TestCase("""{}""", "'query' is required")]
    [TestCase("""{"query":null}""", "'query' is required")]
    [TestCase("""{"query":42}""", "'query' must be a string, not the number 42")]
    [TestCase("""{"query":""}""", "'query' must be at least 1 characters long")]
    [TestCase("""{"query":"x","k":0}""", "'k' must be at least 1, not 0")]
    [TestCase("""{"query":"x","k":21}""", "'k' must be at most 20, not 21")]
    [TestCase("""{"query":"x","k":2.5}""", "'k' must be an integer")]
    [TestCase("""{"query":"x","k":"many"}""", "'k' must be an integer")]
    [TestCase("""{"query":"x","sql":"SELECT 1"}""", "'sql' is not a parameter of this tool (parameters: query, k)")]
    [TestCase("""["query"]""", "arguments must be an object, not an array")]
    public void Should_refuse_arguments_that_do_not_fit_search_documents(string json, string reason) =>
        Assert.That(ToolArgumentValidator.Validate(Search, Parse(json)), Does.Contain(reason));

    [Test]
    public void Should_refuse_a_query_longer_than_its_max_length() =>
        Assert.That(ToolArgumentValidator.Validate(Search, Parse(new JsonObject { ["query"] = new string('q', 1001) }.ToJsonString())),
            Does.Contain("at most 1000 characters"));

    [TestCase("""{"document_id":12}""", null)]
    [TestCase("""{"document_id":0}""", "'document_id' must be at least 1")]
    [TestCase("""{"document_id":12,"max_chars":99}""", "'max_chars' must be at least 100")]
    [TestCase("""{"document_id":12,"max_chars":100001}""", "'max_chars' must be at most 100000")]
    [TestCase("""{"document_id":"12; DELETE FROM agent.documents"}""", "'document_id' must be an integer")]
    public void Should_check_read_document_arguments(string json, string? reason)
    {
        var error = ToolArgumentValidator.Validate(Read, Parse(json));
        Assert.That(error, reason is null ? Is.Null : Does.Contain(reason));
    }

    [Test]
    public void Should_check_nested_arrays_and_enums()
    {
        var schema = Parse("""
            {"type":"object","properties":{"tags":{"type":"array","maxItems":2,"items":{"type":"string","enum":["a","b"]}}}}
            """);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ToolArgumentValidator.Validate(schema, Parse("""{"tags":["a","b"]}""")), Is.Null);
            Assert.That(ToolArgumentValidator.Validate(schema, Parse("""{"tags":["a","c"]}""")), Does.Contain("'tags'[1] must be one of"));
            Assert.That(ToolArgumentValidator.Validate(schema, Parse("""{"tags":["a","b","a"]}""")), Does.Contain("at most 2 items"));
            Assert.That(ToolArgumentValidator.Validate(schema, Parse("""{"other":1}""")), Is.Null, "additional properties are allowed unless forbidden");
        }
    }

    [Test]
    public async Task Should_tell_the_model_and_never_run_the_tool_when_the_arguments_do_not_fit()
    {
        var tool = new EchoTool();
        var agent = new RetrievalAgent(new ScriptedChatClient(), [tool], TimeProvider.System);
        var ai = new JsonObject
        {
            ["type"] = "ai",
            ["id"] = "ai-1",
            ["content"] = string.Empty,
            ["tool_calls"] = new JsonArray(new JsonObject { ["name"] = "search_documents", ["args"] = new JsonObject { ["query"] = 7 }, ["id"] = "c1" }),
        };

        var (messages, calls) = await agent.RunToolsAsync(ai, Guid.NewGuid(), 2, allowedTools: null, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(tool.Invocations, Is.Empty, "the tool never saw the arguments");
            Assert.That(messages[0]!["content"]!.GetValue<string>(), Does.Contain("'query' must be a string"));
            Assert.That(messages[0]!["status"]!.GetValue<string>(), Is.EqualTo("error"));
            Assert.That(calls[0]!["error"]!.GetValue<bool>(), Is.True);
        }
    }

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
