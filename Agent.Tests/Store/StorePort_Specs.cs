using System.Net;
using System.Text.Json.Nodes;
using Agent.Api.Auth;
using Agent.Persistence.Runs;
using Agent.Persistence.Store;
using Agent.Persistence.Tenancy;
using Agent.Tests.Fakes;
using Agent.Tests.Graphs;
using Agent.Tests.Infrastructure;
using Agent.Worker.Graphs;
using Agent.Worker.Store;
using Agent.Worker.Tools;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Tests.Store;

[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_a_graph_uses_the_store_through_its_port
{
    private const string NodeGraph = "remembering";
    private const string ToolGraph = "noting";
    private GraphWorkerHost worker = null!;
    private ScriptedChatClient model = null!;
    private WebApplicationFactory<AgentAuthOptions> api = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        model = new ScriptedChatClient(
            ScriptedChatClient.ToolCall("call_note", "note", new Dictionary<string, object?> { ["text"] = "the user likes GIN indexes" }),
            ScriptedChatClient.Answer("Noted."));
        worker = await GraphWorkerHost.StartAsync(
            model,
            services =>
            {
                services.AddAgentTool(AIFunctionFactory.Create(NoteAsync, "note", "Writes a note to the user's long-term memory."));
                services.AddAgentGraph(NodeGraph, graph =>
                {
                    graph.AddNode("remember", RememberAsync);
                    graph.AddEdge(AgentGraph.Start, "remember");
                    graph.AddEdge("remember", AgentGraph.End);
                });
                services.AddAgentGraph(ToolGraph, graph =>
                {
                    graph.AddNode("model", async (_, context) => AgentStateUpdate.WithMessages(await context.CallModelAsync()));
                    graph.AddToolNode();
                    graph.AddEdge(AgentGraph.Start, "model");
                    graph.AddConditionalEdges("model", AgentGraph.ToolsCondition, [AgentGraph.Tools, AgentGraph.End]);
                    graph.AddEdge(AgentGraph.Tools, "model");
                });
            },
            new Dictionary<string, string?> { ["Store:SweepSeconds"] = "0.2" });
        api = new WebApplicationFactory<AgentAuthOptions>().WithWebHostBuilder(host =>
        {
            host.UseSetting("ConnectionStrings:Agent", worker.Database.ConnectionString);
            host.UseSetting("ConnectionStrings:RabbitMq", TestEnvironment.RabbitMqUri);
            host.UseSetting("Messaging:RunQueue", "agent-runs-store-unused");
            host.UseSetting("Auth:Disabled", "true");
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await api.DisposeAsync();
        await worker.DisposeAsync();
        model.Dispose();
    }

    [Test]
    public async Task Should_let_a_node_write_an_item_that_the_api_reads_and_the_next_run_sees()
    {
        var assistant = await worker.CreateAssistantAsync(NodeGraph);

        var first = await worker.WaitForEndAsync((await worker.StartRunAsync(assistant, Input("What is VACUUM?"))).RunId);
        var second = await worker.WaitForEndAsync((await worker.StartRunAsync(assistant, Input("And ANALYZE?"))).RunId);
        using var client = api.CreateClient();
        using var response = await client.GetAsync(new Uri("/store/items?namespace=memories.user-1&key=last-question", UriKind.Relative));
        var item = JsonNode.Parse(await response.Content.ReadAsStringAsync());
        var answer = (await worker.CheckpointsAsync(second.RunId))[^1].Delta["messages"]![0]!["content"]!.GetValue<string>();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Status, Is.EqualTo(AgentRunStatus.Success), first.Error);
            Assert.That(second.Status, Is.EqualTo(AgentRunStatus.Success), second.Error);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(item?["value"]?["question"]?.GetValue<string>(), Is.EqualTo("And ANALYZE?"));
            Assert.That(answer, Is.EqualTo("Last time you asked: What is VACUUM?"), "the second run read what the first wrote, on another thread");
        }
    }

    [Test]
    public async Task Should_let_an_AIFunction_tool_write_an_item_for_the_runs_tenant()
    {
        var assistant = await worker.CreateAssistantAsync(ToolGraph);

        var run = await worker.WaitForEndAsync((await worker.StartRunAsync(assistant, Input("Remember that I like GIN indexes."))).RunId);
        await using var context = worker.Database.CreateContext();
        var notes = await context.StoreItems.AsNoTracking().Where(i => i.Key == "call_note").ToListAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Status, Is.EqualTo(AgentRunStatus.Success), run.Error);
            Assert.That(notes, Has.Count.EqualTo(1));
            Assert.That(notes[0].TenantId, Is.EqualTo(AgentTenants.Default), "the run's tenant");
            Assert.That(notes[0].Namespace, Is.EqualTo(new[] { "notes" }));
            Assert.That(notes[0].Value, Does.Contain("GIN indexes"));
        }
    }

    [Test]
    public async Task Should_have_the_sweeper_delete_expired_items_of_every_tenant_and_keep_the_rest()
    {
        await using (var scope = worker.Database.CreateContext())
        {
            var items = new ItemStore(scope, TimeProvider.System);
            await items.PutAsync("sweep-a", ["sweep"], "soon", new JsonObject { ["v"] = 1 }, null, ttlMinutes: 0.001, CancellationToken.None);
            await items.PutAsync("sweep-b", ["sweep"], "soon", new JsonObject { ["v"] = 2 }, null, ttlMinutes: 0.001, CancellationToken.None);
            await items.PutAsync("sweep-a", ["sweep"], "later", new JsonObject { ["v"] = 3 }, null, ttlMinutes: 600, CancellationToken.None);
            await items.PutAsync("sweep-a", ["sweep"], "never", new JsonObject { ["v"] = 4 }, null, ttlMinutes: null, CancellationToken.None);
        }

        var remaining = await Poll.UntilAsync(
            async () =>
            {
                await using var context = worker.Database.CreateContext();
                return await context.StoreItems.AsNoTracking().Where(i => i.Namespace == new[] { "sweep" })
                    .OrderBy(i => i.Key).Select(i => i.TenantId + "/" + i.Key).ToListAsync();
            },
            keys => !keys.Contains("sweep-a/soon") && !keys.Contains("sweep-b/soon"),
            TimeSpan.FromSeconds(30));

        Assert.That(remaining, Is.EqualTo(new[] { "sweep-a/later", "sweep-a/never" }));
    }

    // Reads what the previous run of any thread wrote, and writes this run's question over it.
    private static async Task<AgentStateUpdate> RememberAsync(AgentGraphState state, AgentNodeContext context)
    {
        var store = context.Services.GetRequiredService<IAgentStore>();
        string[] memories = ["memories", "user-1"];
        var previous = await store.GetAsync(memories, "last-question", cancellationToken: context.CancellationToken);
        var question = state.Messages[^1]!["content"]!.GetValue<string>();
        await store.PutAsync(memories, "last-question", new JsonObject { ["question"] = question }, cancellationToken: context.CancellationToken);
        var answer = previous is null ? "First question." : $"Last time you asked: {previous.Value["question"]}";
        return AgentStateUpdate.WithMessages(new JsonObject { ["type"] = "ai", ["content"] = answer });
    }

    private static async Task<string> NoteAsync(string text, IServiceProvider services)
    {
        var call = AgentToolContext.Current!;
        await services.GetRequiredService<IAgentStore>().PutAsync(["notes"], call.ToolCallId, new JsonObject { ["text"] = text });
        return "noted";
    }

    private static JsonObject Input(string question) => new()
    {
        ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = question, ["id"] = Guid.NewGuid().ToString() }),
    };
}
