using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Agent.Persistence.Runs;
using Agent.Tests.Fakes;
using Agent.Tests.Faults;
using Agent.Tests.Infrastructure;
using Agent.Tests.Sdk;
using Microsoft.EntityFrameworkCore;

namespace Agent.Tests.Samples;

/// <summary>
/// The sample agent of <c>samples/</c> deployed as a deployer would: the workers run the sample's own host
/// (<c>samples/SupportAgent</c>, built from its project, not Agent.Worker), which ingests its own Markdown collection
/// with its own <c>ingest</c> command and calls the sample's MCP server (<c>samples/SupportAgent.StatusServer</c>, a real
/// process). The official LangGraph JS SDK (<c>Agent.Tests/Sdk/support-sample.mjs</c>) lists the assistants and streams a
/// run of <c>support</c>; mid-run, while the model writes the answer, the worker is killed with SIGKILL and another
/// takes the run over. The model is the fake OpenAI-compatible server (<see cref="SupportScript"/>).
/// </summary>
[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_the_sample_support_agent_is_deployed
{
    private const string Question = "Restores from eu-west are slow for us: is there an incident, and how many restores per day does the team plan allow?";
    private const string Collection = "skiff-docs";
    private const string ClarifiedQuestion = "Restores from eu-west are slow since this morning for our team.";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);
    private readonly TaskCompletionSource firstAnswerGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int answerRequests;
    private ServiceProcess statusServer = null!;
    private FaultSystem faults = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var mcpUrl = new Uri($"http://127.0.0.1:{AgentSystem.FreePort()}");
        statusServer = ServiceProcess.Start(
            "status-mcp", "samples/SupportAgent.StatusServer", ["--urls", mcpUrl.ToString()], new Dictionary<string, string?> { ["ASPNETCORE_URLS"] = null });
        await statusServer.WaitForOutputAsync("Now listening on", TimeSpan.FromSeconds(60));

        faults = await FaultSystem.StartAsync(
            workers: 1,
            modelLatency: TimeSpan.Zero,
            extraEnvironment: new Dictionary<string, string?> { ["Mcp__Servers__status__Url"] = new Uri(mcpUrl, "/mcp").ToString() },
            workerProject: "samples/SupportAgent",
            modelScript: SupportScript);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        firstAnswerGate.TrySetResult();
        if (faults is not null)
        {
            await faults.DisposeAsync();
        }

        if (statusServer is not null)
        {
            await statusServer.DisposeAsync();
        }
    }

    [Test]
    public async Task Should_answer_through_the_SDK_with_its_tools_and_collection_and_survive_a_kill_9()
    {
        await IngestAsync();

        var sdk = LangGraphSdkScripts.RunAsync("support-sample.mjs", faults.System, faults.Model, Question, ScriptTimeout);

        // The answer's model call (the run's second) is held until the worker making it is killed.
        await faults.WaitForRequestsAsync(Question, 2);
        var runId = await RunOfAsync();
        var owner = await faults.OwnerAsync(runId);
        await owner.SignalAsync("KILL");
        await owner.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await faults.EnsureWorkersAsync(1);

        var (exit, output) = await sdk;
        await TestContext.Out.WriteLineAsync(output);
        Assert.That(exit, Is.Zero, $"node support-sample.mjs failed:\n{output}\n{faults.System.Logs()}");

        await faults.AssertDurableAsync(runId, Question, AgentRunStatus.Success, repeatedModelCalls: 1); // the answer's model call, killed in flight
        await using var context = faults.System.Database.CreateContext();
        var nodes = await context.Checkpoints.AsNoTracking().Where(c => c.RunId == runId).OrderBy(c => c.Step).Select(c => c.Node).ToListAsync();
        var workerLogs = string.Join("\n", faults.System.Workers.Select(w => w.Output));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(nodes.Skip(2), Is.EqualTo(new[] { "triage", "retrieve", "tools", "agent", "tools", "agent" }), "each node committed once, in order");
            Assert.That(nodes.Take(2), Is.EqualTo(new[] { "__input__", "__start__" }), "the input checkpoint, then the input");
            Assert.That(Calls(workerLogs, "plan_quota called", runId), Is.EqualTo(1), "the C# tool ran once, though its worker was killed later");
            Assert.That(Calls(statusServer.Output, "service_status called", runId), Is.EqualTo(1), "the MCP tool ran once, with the run's idempotency key");
            Assert.That(answerRequests, Is.EqualTo(2), "only the answer in flight at the kill was asked again");
        }
    }

    [Test]
    public async Task Should_ask_a_question_mid_run_and_go_on_with_the_answer_through_the_SDK()
    {
        await IngestAsync();

        var (exit, output) = await LangGraphSdkScripts.RunAsync("support-clarify.mjs", faults.System, faults.Model, ClarifiedQuestion, ScriptTimeout);

        await TestContext.Out.WriteLineAsync(output);
        Assert.That(exit, Is.Zero, $"node support-clarify.mjs failed:\n{output}\n{faults.System.Logs()}");
    }

    private async Task IngestAsync()
    {
        var docs = Path.Combine(TestEnvironment.RepositoryRoot, "samples", "SupportAgent", "docs");
        var (ingestExit, ingestOutput) = await faults.System.RunWorkerCommandAsync(
            ["ingest", "--collection", Collection, "--path", docs], TimeSpan.FromMinutes(3));
        Assert.That(ingestExit, Is.Zero, "the sample host's ingest:\n" + ingestOutput);
    }

    /// <summary>
    /// The fake model's part in the sample: offered the support prompt, it first calls <c>plan_quota</c> and
    /// <c>service_status</c> (after the retrieve node's search), then answers from the three tool results, citing the
    /// first search hit's source. The first answer request waits until the test ends, so the worker is killed while
    /// making it. Any other prompt gets <see cref="FakeOpenAIServer.SearchThenAnswer"/>.
    /// </summary>
    private FakeChatReply SupportScript(FakeChatRequest request)
    {
        if (request.Messages.FirstOrDefault(m => m.Role == "system")?.Content?.StartsWith("You are Skiff's support agent", StringComparison.Ordinal) != true)
        {
            return FakeOpenAIServer.SearchThenAnswer(request);
        }

        var calls = request.Messages.Where(m => m.Role == "assistant").SelectMany(m => m.ToolCalls).ToList();
        if (!calls.Any(c => c.Name == "plan_quota"))
        {
            return FakeChatReply.ToolCalls(
                new FakeToolCall(null, "plan_quota", """{"plan":"team"}"""),
                new FakeToolCall(null, "service_status", """{"region":"eu-west"}"""));
        }

        string Result(string tool) =>
            request.Messages.Where(m => m.Role == "tool" && calls.Any(c => c.Name == tool && c.Id == m.ToolCallId)).Select(m => m.Content).LastOrDefault() ?? "(none)";

        var hits = JsonNode.Parse(Result("search_documents"))?["results"]?.AsArray();
        var source = hits?.FirstOrDefault()?["source"]?.GetValue<string>() ?? "(no hit)";
        var quota = JsonNode.Parse(Result("plan_quota"))?["restores_per_day"];
        var answer = $"eu-west: {Result("service_status")} The team plan allows {quota} restores per day [{source}].";
        // Only the kill test's answer is held (and counted); other questions of the fixture answer at once.
        if (!request.Messages.Any(m => m.Role == "user" && m.Content == Question))
        {
            return FakeChatReply.Text(answer);
        }

        return Interlocked.Increment(ref answerRequests) == 1
            ? FakeChatReply.Text(answer) with { Gate = firstAnswerGate.Task }
            : FakeChatReply.Text(answer);
    }

    private async Task<Guid> RunOfAsync()
    {
        await using var context = faults.System.Database.CreateContext();
        return await context.Runs.AsNoTracking().OrderByDescending(r => r.CreatedAt).Select(r => r.RunId).FirstAsync();
    }

    private static int Calls(string logs, string marker, Guid runId) =>
        // The worker logs compact JSON, where a rendered string value is quoted (\"...\"); the status server logs plain text.
        Regex.Count(logs, Regex.Escape(marker) + @".*idempotency key (\\"")?" + runId.ToString().ToLowerInvariant() + ":", RegexOptions.None, TimeSpan.FromSeconds(5));
}
