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
/// takes the run over. The sample's <c>ticket</c> graph runs two nested subgraphs (<c>research</c>, which runs
/// <c>lookup</c>): <c>Agent.Tests/Sdk/support-subgraphs.mjs</c> lists them, streams them with <c>streamSubgraphs</c> and
/// reads their state mid-run, and a worker killed inside <c>research</c> is taken over there, no committed subgraph
/// step running again. The model is the fake OpenAI-compatible server (<see cref="SupportScript"/>).
/// </summary>
[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_the_sample_support_agent_is_deployed
{
    private const string Question = "Restores from eu-west are slow for us: is there an incident, and how many restores per day does the team plan allow?";
    private const string Collection = "skiff-docs";
    private const string ClarifiedQuestion = "Restores from eu-west are slow since this morning for our team.";
    private const string SubgraphTicket = "Our team plan restores fail with a timeout: how many restores per day may we run?";
    private const string PlanlessTicket = "Restores of last week's backup fail halfway through: what limits apply to us?";
    private const string KilledTicket = "How long does the enterprise plan keep our backups, and how do we restore an old one?";
    // The prompts of the ticket graphs' model nodes (samples/SupportAgent/TicketGraphs.cs).
    private const string SummarizePrompt = "You take notes for Skiff's support team.";
    private const string ReplyPrompt = "You write Skiff's reply to a support ticket";
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);
    private readonly TaskCompletionSource firstAnswerGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource firstSummaryGate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int answerRequests;
    private int killedTicketSummaries;
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
        firstSummaryGate.TrySetResult();
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

    [Test]
    public async Task Should_list_stream_and_show_nested_subgraphs_through_the_SDK()
    {
        await IngestAsync();

        var (exit, output) = await LangGraphSdkScripts.RunAsync("support-subgraphs.mjs", faults.System, faults.Model, SubgraphTicket, ScriptTimeout);

        await TestContext.Out.WriteLineAsync(output);
        Assert.That(exit, Is.Zero, $"node support-subgraphs.mjs failed:\n{output}\n{faults.System.Logs()}");
    }

    [Test]
    public async Task Should_ask_inside_a_nested_subgraph_and_resume_into_it_through_the_SDK()
    {
        var (exit, output) = await LangGraphSdkScripts.RunAsync("support-subgraph-interrupt.mjs", faults.System, faults.Model, PlanlessTicket, ScriptTimeout);

        await TestContext.Out.WriteLineAsync(output);
        Assert.That(exit, Is.Zero, $"node support-subgraph-interrupt.mjs failed:\n{output}\n{faults.System.Logs()}");
        var threadId = Guid.Parse(JsonNode.Parse(output.Trim().Split('\n')[^1])!["thread_id"]!.GetValue<string>());
        await using var context = faults.System.Database.CreateContext();
        var steps = await context.Checkpoints.IgnoreQueryFilters().AsNoTracking().Where(c => c.ThreadId == threadId && c.CheckpointNs != "")
            .OrderBy(c => c.Sequence).Select(c => new { c.CheckpointNs, c.Step, c.Node, c.RunId }).ToListAsync();
        var byNamespace = steps.GroupBy(s => s.CheckpointNs).ToDictionary(g => g.Key, g => string.Join(",", g.Select(s => $"{s.Step}:{s.Node}")));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(byNamespace.Values, Is.EquivalentTo(new[] { "0:__start__,1:lookup,2:summarize", "0:__start__,1:search,2:tools" }),
                "the resume went on in the namespaces the pause left, each step once: " + string.Join("; ", byNamespace.Select(p => $"[{p.Key}] {p.Value}")));
            Assert.That(steps.Select(s => s.RunId).Distinct().Count(), Is.EqualTo(2), "the paused run wrote the subgraphs' inputs, the resuming run the rest");
        }
    }

    [Test]
    public async Task Should_resume_a_run_killed_inside_a_subgraph_after_the_subgraphs_last_committed_step()
    {
        using var client = faults.System.Client();
        var threadId = (await FaultSystem.PostAsync(client, "/threads", "{}"))["thread_id"]!.GetValue<string>();
        var body = new JsonObject
        {
            ["assistant_id"] = "ticket",
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = KilledTicket }) },
        };
        var runId = Guid.Parse((await FaultSystem.PostAsync(client, $"/threads/{threadId}/runs", body.ToJsonString()))["run_id"]!.GetValue<string>());

        // The run's first model call is research's summarize, after lookup committed its steps (and called plan_quota).
        // It is held until the worker making it is killed.
        await faults.WaitForRequestsAsync(KilledTicket, 1);
        var owner = await faults.OwnerAsync(runId);
        await owner.SignalAsync("KILL");
        await owner.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await faults.EnsureWorkersAsync(1);
        var ended = await faults.WaitForEndAsync(runId);

        await using var context = faults.System.Database.CreateContext();
        // Subgraph checkpoints are outside the default filter (the thread's own graph): read every namespace.
        var steps = await context.Checkpoints.IgnoreQueryFilters().AsNoTracking().Where(c => c.RunId == runId)
            .OrderBy(c => c.Sequence).Select(c => new { c.CheckpointNs, c.Step, c.Node }).ToListAsync();
        var byNamespace = steps.GroupBy(s => s.CheckpointNs).ToDictionary(g => g.Key, g => g.ToList());
        var researchNs = byNamespace.Keys.SingleOrDefault(ns => ns.StartsWith("research:", StringComparison.Ordinal) && !ns.Contains('|')) ?? "(none)";
        var lookupNs = byNamespace.Keys.SingleOrDefault(ns => ns.StartsWith(researchNs + "|lookup:", StringComparison.Ordinal)) ?? "(none)";
        string Nodes(string ns) => string.Join(",", byNamespace.GetValueOrDefault(ns)?.Select(s => $"{s.Step}:{s.Node}") ?? []);
        var requests = faults.RequestsFor(KilledTicket);
        var workerLogs = string.Join("\n", faults.System.Workers.Select(w => w.Output));
        await TestContext.Out.WriteLineAsync($"run {runId}: attempt {ended.Attempt}; " + string.Join("; ", byNamespace.Keys.Select(ns => $"[{ns}] {Nodes(ns)}")));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(ended.Status, Is.EqualTo(AgentRunStatus.Success), ended.Error);
            Assert.That(ended.Attempt, Is.EqualTo(2), "claimed again after the kill");
            Assert.That(byNamespace.Keys, Is.EquivalentTo(new[] { string.Empty, researchNs, lookupNs }), "the ticket, research, and lookup inside it");
            Assert.That(researchNs, Does.Match("^research:[0-9a-f-]{36}$"));
            Assert.That(lookupNs, Does.Match("^research:[0-9a-f-]{36}\\|lookup:[0-9a-f-]{36}$"));
            Assert.That(Nodes(string.Empty), Is.EqualTo("-1:__input__,0:__start__,1:research,2:reply"), "each of the ticket's nodes once");
            Assert.That(Nodes(researchNs), Is.EqualTo("0:__start__,1:lookup,2:summarize"), "each of research's steps once");
            Assert.That(Nodes(lookupNs), Is.EqualTo("0:__start__,1:search,2:tools"), "each of lookup's steps once");
            Assert.That(Calls(workerLogs, "plan_quota called", runId), Is.EqualTo(1), "lookup's tool call, committed before the kill, did not run again");
            Assert.That(requests.Count(r => SystemPrompt(r).StartsWith(SummarizePrompt, StringComparison.Ordinal)), Is.EqualTo(2),
                "only summarize, in flight at the kill, asked the model again");
            Assert.That(requests.Count(r => SystemPrompt(r).StartsWith(ReplyPrompt, StringComparison.Ordinal)), Is.EqualTo(1));
        }
    }

    private static string SystemPrompt(FakeChatRequest request) =>
        request.Messages.FirstOrDefault(m => m.Role == "system")?.Content ?? string.Empty;

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
        if (TicketScript(request) is { } ticketReply)
        {
            return ticketReply;
        }

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

    /// <summary>
    /// The fake model's part in the ticket graphs: <c>summarize</c> gets notes naming the plan's restores per day (from
    /// lookup's <c>plan_quota</c> result) and the first search hit; <c>reply</c> gets a reply quoting the notes from its
    /// prompt. The SDK ticket's summary is held on the gate <c>summarize</c>, which the script opens; the killed
    /// ticket's first summary is held until the test ends, so its worker is killed while asking.
    /// </summary>
    private FakeChatReply? TicketScript(FakeChatRequest request)
    {
        var system = SystemPrompt(request);
        if (system.StartsWith(ReplyPrompt, StringComparison.Ordinal))
        {
            return FakeChatReply.Text("Thank you for your ticket. " + system[(system.IndexOf('\n', StringComparison.Ordinal) + 1)..]);
        }

        if (!system.StartsWith(SummarizePrompt, StringComparison.Ordinal))
        {
            return null;
        }

        var calls = request.Messages.Where(m => m.Role == "assistant").SelectMany(m => m.ToolCalls).ToList();
        string Result(string tool) =>
            request.Messages.Where(m => m.Role == "tool" && calls.Any(c => c.Name == tool && c.Id == m.ToolCallId)).Select(m => m.Content).LastOrDefault() ?? "(none)";
        var quota = JsonNode.Parse(Result("plan_quota"));
        var source = JsonNode.Parse(Result("search_documents"))?["results"]?.AsArray().FirstOrDefault()?["source"]?.GetValue<string>() ?? "(no hit)";
        var notes = FakeChatReply.Text($"Plan {quota?["plan"]}: {quota?["restores_per_day"]} restores per day, {quota?["retention_days"]} days of retention [{source}].");
        var ticket = request.LastUserText;
        if (ticket == SubgraphTicket)
        {
            return notes with { Gate = faults.Model.NamedGate("summarize") };
        }

        return ticket == KilledTicket && Interlocked.Increment(ref killedTicketSummaries) == 1 ? notes with { Gate = firstSummaryGate.Task } : notes;
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
