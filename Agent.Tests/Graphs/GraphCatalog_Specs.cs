using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Api.Auth;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Agent.Worker.Graphs;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Agent.Tests.Graphs;

[TestFixture]
[Category("Integration")]
public sealed class When_a_worker_with_a_declared_graph_starts
{
    private GraphWorkerHost worker = null!;
    private ScriptedChatClient model = null!;

    [SetUp]
    public async Task StartWorkerAsync()
    {
        model = new ScriptedChatClient((_, _, _) => ScriptedChatClient.Answer("unused"));
        worker = await GraphWorkerHost.StartAsync(model, services => services.AddAgentGraph("triage", graph =>
        {
            graph.AddChannel("route");
            graph.AddNode("classify", (_, _) => Task.FromResult(new AgentStateUpdate().Set("route", "chat")));
            graph.AddNode("chat", (_, _) => Task.FromResult(AgentStateUpdate.None));
            graph.AddNode("calculator", (_, _) => Task.FromResult(AgentStateUpdate.None));
            graph.AddEdge(AgentGraph.Start, "classify");
            graph.AddConditionalEdges("classify", s => s.Get<string>("route")!, ["chat", "calculator"]);
            graph.AddEdge("chat", AgentGraph.End);
        }));
    }

    [TearDown]
    public async Task StopWorkerAsync()
    {
        await worker.DisposeAsync();
        model.Dispose();
    }

    [Test]
    public async Task Should_let_the_API_draw_it_describe_its_channels_and_accept_assistants_for_it()
    {
        await using var api = new WebApplicationFactory<AgentAuthOptions>().WithWebHostBuilder(host =>
        {
            host.UseSetting("ConnectionStrings:Agent", worker.Database.ConnectionString);
            host.UseSetting("ConnectionStrings:RabbitMq", TestEnvironment.RabbitMqUri);
            host.UseSetting("Messaging:RunQueue", "agent-runs-graph-catalog-unused");
            host.UseSetting("Auth:Disabled", "true");
        });
        using var client = api.CreateClient();

        // A graph id stands for its system assistant (uuid5 of the graph id), as in LangGraph Server.
        var graph = JsonNode.Parse(await client.GetStringAsync("/assistants/triage/graph"))!;
        var schemas = JsonNode.Parse(await client.GetStringAsync("/assistants/triage/schemas"))!;
        using var created = await client.PostAsync("/assistants", Json("""{"graph_id":"triage","name":"mine"}"""));
        using var unknown = await client.PostAsync("/assistants", Json("""{"graph_id":"nope"}"""));
        var refusal = JsonNode.Parse(await unknown.Content.ReadAsStringAsync())!;
        var agentGraph = JsonNode.Parse(await client.GetStringAsync("/assistants/agent/graph"))!;

        var edges = graph["edges"]!.AsArray()
            .Select(e => $"{e!["source"]}->{e["target"]}{(e["conditional"]!.GetValue<bool>() ? " (conditional)" : "")}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(graph["nodes"]!.AsArray().Select(n => n!["id"]!.GetValue<string>()),
                Is.EqualTo(new[] { "__start__", "classify", "chat", "calculator", "__end__" }));
            Assert.That(edges, Is.EquivalentTo(new[]
            {
                "__start__->classify", "classify->chat (conditional)", "classify->calculator (conditional)", "chat->__end__",
            }));
            Assert.That(schemas["state_schema"]!["properties"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "messages", "route" }));
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(refusal["detail"]!.GetValue<string>(), Does.Contain("Graph 'nope' not found").And.Contain("agent").And.Contain("triage"));
            Assert.That(agentGraph["nodes"]!.AsArray().Select(n => n!["id"]!.GetValue<string>()),
                Is.EqualTo(new[] { "__start__", "agent", "tools", "__end__" }), "the built-in graph, as its worker declared it");
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}
