using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Api.Auth;
using Agent.Persistence.Runs;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Agent.Worker.Graphs;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Graphs;

/// <summary>
/// A worker configured with two MCP servers (<c>Mcp:Servers</c>): <c>docs</c>, a real MCP server hosted here with the
/// official SDK's server side (streamable HTTP), with a call time limit of 2 s; and <c>down</c>, a URL nothing listens
/// on; and <c>local</c>, the stdio server Agent.Tests.McpServer that the worker starts as <c>dotnet
/// Agent.Tests.McpServer.dll</c>. The graph is a model node and the prebuilt tool node, as in <see cref="When_a_model_calls_AIFunction_tools_that_fail"/>.
/// </summary>
[TestFixture]
[Category("Integration")]
public sealed class When_a_model_calls_tools_of_MCP_servers
{
    private const string GraphId = "mcp-tooling";
    private McpTestServer server = null!;
    private GraphWorkerHost worker = null!;
    private ScriptedChatClient model = null!;

    [SetUp]
    public async Task StartWorkerAsync()
    {
        server = await McpTestServer.StartAsync();
        model = new ScriptedChatClient((messages, _, _) => messages[^1].Role == ChatRole.Tool
            ? ScriptedChatClient.Answer("done")
            : new ChatResponse(new ChatMessage(ChatRole.Assistant,
            [
                new FunctionCallContent("call_echo", "echo", new Dictionary<string, object?> { ["text"] = "hello" }),
                new FunctionCallContent("call_slow", "wait_forever", new Dictionary<string, object?>()),
                new FunctionCallContent("call_lookup", "lookup", new Dictionary<string, object?> { ["id"] = "42" }),
                new FunctionCallContent("call_stdio", "stdio_echo", new Dictionary<string, object?> { ["text"] = "over stdio" }),
            ]))
            {
                ModelId = "scripted-model",
                FinishReason = ChatFinishReason.ToolCalls,
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5, TotalTokenCount = 15 },
            });
        worker = await GraphWorkerHost.StartAsync(
            model,
            services => services.AddAgentGraph(GraphId, graph =>
            {
                graph.AddNode("model", async (_, context) => AgentStateUpdate.WithMessages(await context.CallModelAsync()));
                graph.AddToolNode();
                graph.AddEdge(AgentGraph.Start, "model");
                graph.AddConditionalEdges("model", AgentGraph.ToolsCondition, [AgentGraph.Tools, AgentGraph.End]);
                graph.AddEdge(AgentGraph.Tools, "model");
            }),
            new Dictionary<string, string?>
            {
                ["Mcp:Servers:docs:Url"] = server.Url.ToString(),
                ["Mcp:Servers:docs:CallTimeoutSeconds"] = "2",
                // Port 1 on loopback: nothing listens, the connection is refused at once.
                ["Mcp:Servers:down:Url"] = "http://127.0.0.1:1/mcp",
                ["Mcp:Servers:down:ConnectTimeoutSeconds"] = "2",
                ["Mcp:Servers:local:Command"] = "dotnet",
                ["Mcp:Servers:local:Arguments:0"] = StdioServerPath(),
                ["Mcp:Servers:local:Environment:DOTNET_NOLOGO"] = "1",
                ["Mcp:Servers:local:ConnectTimeoutSeconds"] = "30",
            });
    }

    [TearDown]
    public async Task StopWorkerAsync()
    {
        await worker.DisposeAsync();
        await server.DisposeAsync();
        model.Dispose();
    }

    [Test]
    public async Task Should_answer_from_the_server_with_the_idempotency_key_and_turn_a_timeout_and_an_absent_server_into_tool_errors()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId);

        var run = await worker.StartRunAsync(assistant, Input("echo hello"));
        var ended = await worker.WaitForEndAsync(run.RunId);
        var tools = await ToolMessagesAsync(run.RunId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(model.Calls[0].Options!.Tools!.Select(t => t.Name), Does.Contain("echo").And.Contain("wait_forever").And.Contain("search_documents"));
            Assert.That(tools["call_echo"]["status"]!.GetValue<string>(), Is.EqualTo("success"));
            Assert.That(tools["call_echo"]["content"]!.GetValue<string>(), Is.EqualTo("echo: hello"), "the server's answer");
            Assert.That(tools["call_slow"]["status"]!.GetValue<string>(), Is.EqualTo("error"));
            Assert.That(tools["call_slow"]["content"]!.GetValue<string>(), Does.Contain("did not answer within 2 s"));
            Assert.That(tools["call_stdio"]["status"]!.GetValue<string>(), Is.EqualTo("success"), tools["call_stdio"].ToJsonString());
            Assert.That(tools["call_stdio"]["content"]!.GetValue<string>(),
                Is.EqualTo($"echo: over stdio (idempotency_key: {run.RunId}:2:call_stdio)"), "the stdio server's answer, with the key it saw");
            Assert.That(tools["call_lookup"]["status"]!.GetValue<string>(), Is.EqualTo("error"));
            Assert.That(tools["call_lookup"]["content"]!.GetValue<string>(), Does.Contain("no tool named 'lookup'").And.Contain("MCP server(s) down"));
            // The tools step is step 2 (0 is the input, 1 the first model call).
            Assert.That(server.Calls, Does.Contain(("echo", (string?)$"{run.RunId}:2:call_echo")), "the server saw the idempotency key in _meta");
        }
    }

    [Test]
    public async Task Should_give_the_model_a_tool_error_when_the_server_stopped_after_listing_its_tools()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId);
        await server.StopAsync();

        var run = await worker.StartRunAsync(assistant, Input("echo hello"));
        var ended = await worker.WaitForEndAsync(run.RunId);
        var tools = await ToolMessagesAsync(run.RunId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(tools["call_echo"]["status"]!.GetValue<string>(), Is.EqualTo("error"));
            Assert.That(tools["call_echo"]["content"]!.GetValue<string>(), Does.Contain("the MCP server 'docs' is not reachable"));
            Assert.That(model.Calls[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Select(r => r.Result?.ToString()),
                Has.Some.Contains("'docs' is not reachable"), "the model reads the failure");
        }
    }

    [Test]
    public async Task Should_offer_only_the_MCP_servers_an_assistant_names()
    {
        var assistant = await worker.CreateAssistantAsync(GraphId, new JsonObject
        {
            ["configurable"] = new JsonObject { ["mcp_servers"] = new JsonArray("down") },
        });

        var run = await worker.StartRunAsync(assistant, Input("echo hello"));
        var ended = await worker.WaitForEndAsync(run.RunId);
        var tools = await ToolMessagesAsync(run.RunId);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(model.Calls[0].Options!.Tools!.Select(t => t.Name), Does.Not.Contain("echo").And.Contain("search_documents"));
            Assert.That(tools["call_echo"]["content"]!.GetValue<string>(), Does.Contain("no tool named 'echo'"));
            Assert.That(server.Calls, Is.Empty, "the server of a tool the run may not use is not called");
        }
    }

    [Test]
    public async Task Should_publish_the_MCP_tools_so_the_API_accepts_them_and_refuses_unknown_ones()
    {
        await using (var context = worker.Database.CreateContext())
        {
            var published = await context.DeployedGraphs.AsNoTracking().SingleAsync(g => g.GraphId == GraphId);
            Assert.That(JsonNode.Parse(published.Tools)!.AsArray().Select(t => t!.GetValue<string>()),
                Does.Contain("echo").And.Contain("wait_forever").And.Contain("stdio_echo").And.Contain("search_documents"));
        }

        await using var api = new WebApplicationFactory<AgentAuthOptions>().WithWebHostBuilder(host =>
        {
            host.UseSetting("ConnectionStrings:Agent", worker.Database.ConnectionString);
            host.UseSetting("ConnectionStrings:RabbitMq", TestEnvironment.RabbitMqUri);
            host.UseSetting("Messaging:RunQueue", "agent-runs-mcp-catalog-unused");
            host.UseSetting("Auth:Disabled", "true");
        });
        using var client = api.CreateClient();

        using var accepted = await client.PostAsync("/assistants", Json(
            """{"graph_id":"mcp-tooling","config":{"configurable":{"tools":["echo","search_documents"],"mcp_servers":["docs"]}}}"""));
        using var unknownTool = await client.PostAsync("/assistants", Json(
            """{"graph_id":"mcp-tooling","config":{"configurable":{"tools":["rm_rf"]}}}"""));
        using var unknownServer = await client.PostAsync("/assistants", Json(
            """{"graph_id":"mcp-tooling","config":{"configurable":{"mcp_servers":["elsewhere"]}}}"""));
        var toolRefusal = JsonNode.Parse(await unknownTool.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();
        var serverRefusal = JsonNode.Parse(await unknownServer.Content.ReadAsStringAsync())!["detail"]!.GetValue<string>();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK), await accepted.Content.ReadAsStringAsync());
            Assert.That(unknownTool.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(toolRefusal, Does.Contain("unknown tool 'rm_rf'").And.Contain("echo").And.Contain("search_documents"));
            Assert.That(unknownServer.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
            Assert.That(serverRefusal, Does.Contain("unknown MCP server 'elsewhere'").And.Contain("docs, down, local"));
        }
    }

    // The stdio server's build output, next to this project's: Agent.Tests.McpServer/bin/{configuration}/net10.0.
    private static string StdioServerPath()
    {
        var tests = AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar);
        var (framework, configuration) = (Path.GetFileName(tests), Path.GetFileName(Path.GetDirectoryName(tests)!));
        var root = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(Path.GetDirectoryName(tests))))!;
        return Path.Combine(root, "Agent.Tests.McpServer", "bin", configuration, framework, "Agent.Tests.McpServer.dll");
    }

    private static JsonObject Input(string text) => new()
    {
        ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = text, ["id"] = "h1" }),
    };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<Dictionary<string, JsonObject>> ToolMessagesAsync(Guid runId)
    {
        var steps = await worker.CheckpointsAsync(runId);
        return steps.Single(s => s.Node == AgentGraph.Tools).Delta["messages"]!.AsArray()
            .ToDictionary(m => m!["tool_call_id"]!.GetValue<string>(), m => m!.AsObject());
    }
}
