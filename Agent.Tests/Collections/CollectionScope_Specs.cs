using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Api.Assistants;
using Agent.Api.Runs;
using Agent.Persistence.Documents;
using Agent.Tests.Infrastructure;
using Agent.Worker.Embeddings;
using Agent.Worker.Graphs;
using Agent.Worker.Ingestion;
using Agent.Worker.Retrieval;
using Agent.Worker.Tools;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Collections;

[TestFixture]
[Category("Integration")]
public sealed class When_search_is_scoped_to_collections
{
    private TestDatabase database = null!;
    private CollectionFiles alpha = null!;
    private CollectionFiles beta = null!;
    private CorpusIngestor ingestor = null!;
    private ChunkEmbedder embedder = null!;
    private WordHashEmbeddingGenerator generator = null!;
    private ChunkVectorIndex index = null!;
    private SearchDocumentsTool search = null!;
    private ReadDocumentTool read = null!;

    [OneTimeSetUp]
    public async Task IngestTwoCollections()
    {
        database = await TestDatabase.CreateAsync();
        // The same files in both, but for the topic word: the searches below match both collections equally well.
        alpha = new CollectionFiles().WriteMixed("alphatopic");
        beta = new CollectionFiles().WriteMixed("betatopic");
        ingestor = new CorpusIngestor(database.DataSource, TimeProvider.System, NullLogger<CorpusIngestor>.Instance);
        await ingestor.IngestAsync("alpha", alpha.Root, CancellationToken.None);
        await ingestor.IngestAsync("beta", beta.Root, CancellationToken.None);
        generator = new WordHashEmbeddingGenerator();
        embedder = new ChunkEmbedder(database.DataSource, generator, new EmbeddingOptions(), NullLogger<ChunkEmbedder>.Instance);
        await embedder.EmbedMissingAsync(null, CancellationToken.None);
        index = new ChunkVectorIndex(database.DataSource, generator, TimeProvider.System, NullLogger<ChunkVectorIndex>.Instance);
        search = new SearchDocumentsTool(database.DataSource, new ChunkLexicalIndex(database.DataSource, NullLogger<ChunkLexicalIndex>.Instance), index);
        read = new ReadDocumentTool(database.DataSource);
    }

    [OneTimeTearDown]
    public async Task DropDatabase()
    {
        index?.Dispose();
        generator?.Dispose();
        alpha?.Dispose();
        beta?.Dispose();
        if (database is not null)
        {
            await database.DisposeAsync();
        }
    }

    [TestCase("alpha")]
    [TestCase("beta")]
    public async Task Should_return_only_the_collections_documents(string collection)
    {
        var results = await SearchAsync("flux capacitor calibration reactor output hyperdrive turbo encabulator", [collection]);
        var documents = await DocumentIdsAsync(collection);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results, Is.Not.Empty);
            Assert.That(results.Select(r => r.DocumentId).Distinct(), Is.SubsetOf(documents));
        }
    }

    [Test]
    public async Task Should_search_both_when_both_are_named()
    {
        var results = await SearchAsync("flux capacitor calibration reactor output hyperdrive turbo encabulator", ["alpha", "beta"]);
        var alphaIds = await DocumentIdsAsync("alpha");
        var betaIds = await DocumentIdsAsync("beta");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(results.Select(r => r.DocumentId).Intersect(alphaIds), Is.Not.Empty);
            Assert.That(results.Select(r => r.DocumentId).Intersect(betaIds), Is.Not.Empty);
        }
    }

    [Test]
    public async Task Should_not_find_a_word_only_another_collection_has()
    {
        var inAlpha = await SearchAsync("betatopic", ["alpha"]);
        var inBeta = await SearchAsync("betatopic", ["beta"]);
        var betaIds = await DocumentIdsAsync("beta");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(inAlpha.Select(r => r.DocumentId).Intersect(betaIds), Is.Empty);
            Assert.That(inBeta, Is.Not.Empty);
        }
    }

    [Test]
    public async Task Should_return_only_vectors_of_the_collection()
    {
        var nearest = await index.NearestAsync("flux capacitor calibration", 40, ["alpha"], CancellationToken.None);
        await using var context = database.CreateContext();
        var alphaChunks = await context.Chunks.Where(c => c.Document!.Collection == "alpha").Select(c => c.ChunkId).ToListAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(nearest, Is.Not.Empty);
            Assert.That(nearest.Select(n => n.ChunkId), Is.SubsetOf(alphaChunks));
        }
    }

    [Test]
    public async Task Should_refuse_to_read_a_document_of_another_collection()
    {
        var betaDocument = (await DocumentIdsAsync("beta")).First();
        var arguments = JsonSerializer.SerializeToElement(new { document_id = betaDocument });

        var fromBeta = await read.InvokeAsync(arguments, Invocation(["beta"]), CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(JsonDocument.Parse(fromBeta).RootElement.GetProperty("document_id").GetInt64(), Is.EqualTo(betaDocument));
            Assert.That(
                async () => await read.InvokeAsync(arguments, Invocation(["alpha"]), CancellationToken.None),
                Throws.TypeOf<ToolArgumentException>().With.Message.Contains($"No document with id {betaDocument} in the collections this assistant reads (alpha)"));
        }
    }

    [Test]
    public void Should_tell_the_model_when_no_collection_is_configured() =>
        Assert.That(
            async () => await search.InvokeAsync(JsonSerializer.SerializeToElement(new { query = "flux" }), Invocation([]), CancellationToken.None),
            Throws.TypeOf<ToolFailedException>().With.Message.EqualTo(SearchDocumentsTool.NoCollectionsMessage));

    [Test]
    public async Task Should_reload_only_a_collection_whose_version_moved_when_it_is_re_ingested_while_cached()
    {
        // Both collections cached, then gamma is re-ingested (a new file) as another process would do it.
        using var gamma = new CollectionFiles().WriteMixed("gammatopic");
        await ingestor.IngestAsync("gamma", gamma.Root, CancellationToken.None);
        await embedder.EmbedMissingAsync(null, CancellationToken.None);
        await index.NearestAsync("flux", 5, ["alpha", "gamma"], CancellationToken.None);
        var before = await index.NearestAsync("xylophone quasar", 40, ["gamma"], CancellationToken.None);
        var loadsBefore = index.Loads;

        gamma.Write("added/quasar.md", "# Xylophone quasar\n\nThe xylophone quasar hums.");
        await ingestor.IngestAsync("gamma", gamma.Root, CancellationToken.None);
        await embedder.EmbedMissingAsync(null, CancellationToken.None);
        await index.RecheckAsync(CancellationToken.None);
        var after = await index.NearestAsync("xylophone quasar", 1, ["gamma"], CancellationToken.None);

        await using var context = database.CreateContext();
        var quasarChunk = await context.Chunks.Where(c => c.Document!.Collection == "gamma" && c.Document.Source == "added/quasar.md")
            .Select(c => c.ChunkId).SingleAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(before.Select(n => n.ChunkId), Does.Not.Contain(quasarChunk));
            Assert.That(after.Select(n => n.ChunkId), Is.EqualTo(new[] { quasarChunk }));
            Assert.That(index.Loads - loadsBefore, Is.EqualTo(1), "gamma is reloaded, alpha is not");
        }
    }

    private static ToolInvocation Invocation(IReadOnlyList<string> collections) => new(Guid.NewGuid(), 0, "call_1") { Collections = collections };

    private async Task<List<(long DocumentId, string Source)>> SearchAsync(string query, IReadOnlyList<string> collections)
    {
        var json = await search.InvokeAsync(
            JsonSerializer.SerializeToElement(new { query, k = SearchDocumentsTool.MaxK }), Invocation(collections), CancellationToken.None);
        using var document = JsonDocument.Parse(json);
        return [.. document.RootElement.GetProperty("results").EnumerateArray()
            .Select(r => (r.GetProperty("document_id").GetInt64(), r.GetProperty("source").GetString()!))];
    }

    private async Task<List<long>> DocumentIdsAsync(string collection)
    {
        await using var context = database.CreateContext();
        return await context.Documents.Where(d => d.Collection == collection).Select(d => d.DocumentId).ToListAsync();
    }
}

[TestFixture]
public sealed class When_collections_are_configured
{
    [Test]
    public void Should_give_the_built_in_agent_graph_the_manuals_collection()
    {
        var services = new ServiceCollection();
        AgentGraphServiceCollectionExtensions.AddAgentGraph(services, "agent", global::Agent.Worker.Agent.RetrievalAgentGraph.Declare);
        var graph = (CompiledAgentGraph)services.Single(s => s.ServiceType == typeof(CompiledAgentGraph)).ImplementationInstance!;

        Assert.That(graph.DefaultCollections, Is.EqualTo(new[] { DocumentCollectionName.Default }));
    }

    [Test]
    public void Should_refuse_an_invalid_default_collection_when_the_graph_is_declared() =>
        Assert.That(
            () => new ServiceCollection().AddAgentGraphForTest(g => g.UseCollections("Not Valid")),
            Throws.InvalidOperationException.With.Message.Contains("Not Valid"));

    [TestCase("""{"configurable":{"collections":"alpha"}}""", "config.configurable.collections must be a list of strings")]
    [TestCase("""{"configurable":{"collections":["alpha", 3]}}""", "config.configurable.collections must be a list of strings")]
    [TestCase("""{"configurable":{"collections":["Bad Name"]}}""", "config.configurable.collections: The collection name 'Bad Name' is not valid")]
    public void Should_refuse_collections_that_are_not_a_list_of_names(string config, string error)
    {
        var (_, assistantError) = AssistantConfig.Validate(JsonNode.Parse(config), GraphToolset.BuiltIn);
        var (_, runError) = RunRequest.Parse(
            JsonNode.Parse($$"""{"assistant_id":"agent","config":{{config}}}""")!.AsObject(), stateless: false);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(assistantError, Does.StartWith(error));
            Assert.That(runError, Does.StartWith(error));
        }
    }

    [Test]
    public void Should_accept_a_list_of_collection_names()
    {
        var (config, error) = AssistantConfig.Validate(
            JsonNode.Parse("""{"configurable":{"collections":["postgresql-15","support_docs"]}}"""), GraphToolset.BuiltIn);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(error, Is.Null);
            Assert.That(config!["configurable"]!["collections"]!.AsArray(), Has.Count.EqualTo(2));
        }
    }
}

internal static class GraphTestExtensions
{
    public static void AddAgentGraphForTest(this IServiceCollection services, Action<AgentGraphBuilder> collections) =>
        AgentGraphServiceCollectionExtensions.AddAgentGraph(services, "test", graph =>
        {
            collections(graph);
            graph.AddNode("n", (_, _) => Task.FromResult(AgentStateUpdate.None));
            graph.AddEdge(AgentGraph.Start, "n");
        });
}
