using System.Globalization;
using Agent.Persistence.ApiKeys;
using Agent.Persistence.Assistants;
using Agent.Persistence.Runs;
using Agent.Persistence.Usage;
using Agent.Tests.Fakes;
using Agent.Tests.Faults;
using Microsoft.EntityFrameworkCore;
using static Microsoft.Playwright.Assertions;

namespace Agent.Tests.WebConsole;

/// <summary>
/// Drives the web console (<c>/ui</c>) in Debian's headless chromium against real API and worker processes on real
/// PostgreSQL and RabbitMQ, with the fake OpenAI-compatible server as the model: a run started from the playground
/// streams its steps, a finished run shows its model calls and cost, a worker killed with SIGKILL mid-run shows as a
/// recovery on the run's timeline, and another tenant's key sees none of it. Screenshots go to
/// <see cref="ConsoleBrowser.ScreenshotDirectory"/> (docs/console holds the committed ones).
/// </summary>
[TestFixture]
[Category("Integration")]
[Category("Console")]
[NonParallelizable]
public sealed class When_an_operator_uses_the_web_console
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private FaultSystem faults = null!;
    private ConsoleBrowser browser = null!;

    private Uri Api => faults.System.Apis[0];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        faults = await FaultSystem.StartAsync(workers: 2, modelLatency: TimeSpan.FromMilliseconds(100));
        browser = await ConsoleBrowser.LaunchAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        if (faults is not null)
        {
            await faults.DisposeAsync();
        }
    }

    [SetUp]
    public Task EnsureTwoWorkersAsync() => faults.EnsureWorkersAsync(2);

    [TearDown]
    public void ResetModelAndShowLogsOnFailure()
    {
        faults.Model.Script(FakeOpenAIServer.SearchThenAnswer);
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(faults.System.Logs());
        }
    }

    [Test]
    public async Task Should_stream_the_steps_of_a_run_started_from_the_playground_as_they_arrive()
    {
        const string question = "Console 1: how do I create a GIN index?";
        // The answer is held until the page shows the tool step: the steps must arrive while the run is still running.
        var answer = new TaskCompletionSource();
        faults.Model.Enqueue(
            FakeChatReply.ToolCall("search_documents", new { query = question, k = 3 }),
            FakeChatReply.Text("Use CREATE INDEX ... USING GIN (column).") with { Gate = answer.Task });
        var page = await browser.SignInAsync(Api, faults.System.ApiKey);

        await page.GotoAsync(new Uri(Api, "/ui#/playground").ToString());
        await Expect(page.Locator("#playground-assistant option")).Not.ToHaveCountAsync(0);
        await page.FillAsync("#playground-input", question);
        await page.ClickAsync("#playground-send");

        await Expect(page.Locator("#playground-steps li[data-node=tools]")).ToBeVisibleAsync();
        await Expect(page.Locator("#playground-steps li[data-node=agent]").First).ToContainTextAsync("search_documents");
        var runId = Guid.Parse(await page.Locator("#playground-run-link").InnerTextAsync());
        var whileHeld = await faults.TryLoadRunAsync(runId);
        Assert.That(whileHeld?.Status, Is.EqualTo(AgentRunStatus.Running), "the steps were shown while the run was still running");
        await ConsoleBrowser.ScreenshotAsync(page, "playground");

        answer.SetResult();
        await Expect(page.Locator("#playground-done")).ToBeVisibleAsync();
        await Expect(page.Locator("#playground-steps li[data-node=agent]").Last).ToContainTextAsync("USING GIN");
        await Expect(page.Locator("#playground-steps .tl-usage")).ToHaveCountAsync(2);
        await page.CloseAsync();
    }

    [Test]
    public async Task Should_show_a_finished_runs_model_calls_tokens_and_cost()
    {
        // Markup in the question must come back as text: every value is escaped.
        const string question = "Console 2: what does <b id=\"injected\">VACUUM</b> do? <img src=x id=\"injected-img\">";
        var (_, runId) = await faults.SubmitAsync(question);
        await faults.WaitForEndAsync(runId);
        List<ModelCall> calls;
        await using (var context = faults.System.Database.CreateContext())
        {
            calls = await context.ModelCalls.AsNoTracking().Where(c => c.RunId == runId).OrderBy(c => c.Step).ToListAsync();
        }

        var page = await browser.SignInAsync(Api, faults.System.ApiKey);
        var row = page.Locator($"#runs-list tr[data-run-id='{runId}']");
        await Expect(row).ToContainTextAsync("success");
        await Expect(row).ToContainTextAsync("<b id=\"injected\">VACUUM</b>");
        await ConsoleBrowser.ScreenshotAsync(page, "runs");

        await row.Locator("a").First.ClickAsync();
        var modelCalls = page.Locator("#model-calls tr.model-call");
        await Expect(modelCalls).ToHaveCountAsync(calls.Count);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(calls, Has.Count.EqualTo(2), "a tool call, then the answer");
            Assert.That(calls.Sum(c => c.CostUsd ?? 0), Is.GreaterThan(0m), "gpt-4o-mini is priced");
            for (var i = 0; i < calls.Count; i++)
            {
                var text = await modelCalls.Nth(i).InnerTextAsync();
                Assert.That(text, Does.Contain("gpt-4o-mini").And.Contain(calls[i].InputTokens.ToString("N0", CultureInfo.InvariantCulture))
                    .And.Contain(calls[i].OutputTokens.ToString("N0", CultureInfo.InvariantCulture)).And.Contain(calls[i].FinishReason!));
            }

            Assert.That(await page.Locator("#run-cost").InnerTextAsync(), Does.StartWith("$").And.Not.EqualTo("$0"));
            Assert.That(await page.Locator("#injected, #injected-img").CountAsync(), Is.Zero, "no element was made from the question");
            Assert.That(await page.Locator("#timeline").InnerTextAsync(), Does.Contain("<img src=x id=\"injected-img\">"));
            Assert.That(await page.Locator("#timeline .tl-step").CountAsync(), Is.EqualTo(4), "input, model, tools, model");
        }

        await ConsoleBrowser.ScreenshotAsync(page, "run");
        await page.CloseAsync();
    }

    [Test]
    public async Task Should_show_the_recovery_on_the_timeline_after_a_worker_is_killed_mid_run()
    {
        const string question = "Console 3: kill -9 in a model call. How do I create a GIN index?";
        faults.Model.Enqueue(FakeChatReply.ToolCall("search_documents", new { query = question, k = 3 }) with { Gate = new TaskCompletionSource().Task });
        var (_, runId) = await faults.SubmitAsync(question);
        await faults.WaitForRequestsAsync(question, 1);
        var owner = await faults.OwnerAsync(runId);

        await owner.SignalAsync("KILL");
        var run = await faults.WaitForEndAsync(runId);
        Assert.That(run.Attempt, Is.EqualTo(2));

        var page = await browser.SignInAsync(Api, faults.System.ApiKey);
        await page.GotoAsync(new Uri(Api, $"/ui#/runs/{runId}").ToString());
        var recovery = page.Locator("#timeline .tl-recovery");
        await Expect(recovery).ToHaveCountAsync(1);
        await Expect(recovery).ToContainTextAsync($"took the run over from {owner.Name} at lease epoch 2");
        await Expect(page.Locator("#timeline .tl-lease")).ToHaveCountAsync(2);
        await Expect(page.Locator("#run-attempts")).ToHaveTextAsync("2 (1 recovery)");
        await Expect(page.Locator("#timeline .tl-status.status-success")).ToHaveCountAsync(1);
        await ConsoleBrowser.ScreenshotAsync(page, "recovery");
        await page.CloseAsync();
    }

    [Test]
    public async Task Should_show_another_tenants_key_none_of_the_runs_threads_or_costs()
    {
        var (threadId, runId) = await faults.SubmitAsync("Console 4: tenant a's question about VACUUM");
        await faults.WaitForEndAsync(runId);
        string otherKey;
        await using (var context = faults.System.Database.CreateContext())
        {
            (_, otherKey) = await new ApiKeyStore(context, TimeProvider.System)
                .CreateAsync("console-other", "console spec", ApiKeyScopes.Parse("read write").Scopes, CancellationToken.None);
        }

        var page = await browser.SignInAsync(Api, otherKey);
        await Expect(page.Locator("#runs-list")).ToContainTextAsync("No runs.");
        await ConsoleBrowser.ScreenshotAsync(page, "other-tenant");

        await page.GotoAsync(new Uri(Api, $"/ui#/runs/{runId}").ToString());
        await Expect(page.Locator(".error-box")).ToContainTextAsync("404");
        await page.GotoAsync(new Uri(Api, $"/ui#/threads/{threadId}").ToString());
        await Expect(page.Locator(".error-box")).ToContainTextAsync("404");
        await page.GotoAsync(new Uri(Api, "/ui#/threads").ToString());
        await Expect(page.Locator("#threads-list")).ToContainTextAsync("No threads.");
        await page.GotoAsync(new Uri(Api, "/ui#/costs").ToString());
        await Expect(page.Locator("#costs-total")).ToHaveTextAsync("0 model calls, 0 tokens, $0");
        await page.GotoAsync(new Uri(Api, "/ui#/system").ToString());
        await Expect(page.Locator("#runs-running")).ToHaveTextAsync("0");
        var everything = await page.Locator("body").InnerTextAsync();
        Assert.That(everything, Does.Not.Contain(runId.ToString()).And.Not.Contain(threadId.ToString()));
        await page.CloseAsync();
    }

    [Test]
    public async Task Should_draw_the_graph_and_show_threads_costs_and_the_workers_slots()
    {
        var (threadId, runId) = await faults.SubmitAsync("Console 5: how does a GIN index work?");
        await faults.WaitForEndAsync(runId);
        var page = await browser.SignInAsync(Api, faults.System.ApiKey);

        await page.GotoAsync(new Uri(Api, $"/ui#/assistants/{SystemAssistants.IdFor(SystemAssistants.AgentGraphId)}").ToString());
        await Expect(page.Locator("#graph svg g[data-node]")).ToHaveCountAsync(4);
        await Expect(page.Locator("#graph svg path[data-edge='tools->agent']")).ToHaveCountAsync(1);
        await ConsoleBrowser.ScreenshotAsync(page, "graph");

        await page.GotoAsync(new Uri(Api, $"/ui#/threads/{threadId}").ToString());
        await Expect(page.Locator("#thread-chat .msg-ai").Last).ToContainTextAsync("According to the documents");
        var checkpoints = page.Locator("#checkpoints button.checkpoint");
        // The run's input checkpoint (no messages yet), __start__ with the question, agent, tools, agent.
        await Expect(checkpoints).ToHaveCountAsync(5);
        await checkpoints.Nth(2).ClickAsync();
        await Expect(page.Locator("#checkpoint-state .msg")).ToHaveCountAsync(2);
        await ConsoleBrowser.ScreenshotAsync(page, "thread");

        await page.GotoAsync(new Uri(Api, "/ui#/costs").ToString());
        await Expect(page.Locator("#costs-total")).Not.ToHaveTextAsync("0 model calls, 0 tokens, $0");
        await Expect(page.Locator("#costs figure")).ToHaveCountAsync(6);
        await ConsoleBrowser.ScreenshotAsync(page, "costs");

        await page.GotoAsync(new Uri(Api, "/ui#/system").ToString());
        foreach (var worker in faults.LiveWorkers)
        {
            await Expect(page.Locator($"#system tr[data-worker='{worker.Name}']")).ToContainTextAsync("0/1 busy");
        }

        await Expect(page.Locator("#health")).ToContainTextAsync("healthy");
        await ConsoleBrowser.ScreenshotAsync(page, "system");
        await page.CloseAsync();
    }

    [Test]
    public async Task Should_serve_the_console_with_a_strict_content_security_policy_and_no_inline_script()
    {
        using var client = new HttpClient { BaseAddress = Api };
        using var response = await client.GetAsync(new Uri("/ui", UriKind.Relative));
        var html = await response.Content.ReadAsStringAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.IsSuccessStatusCode, Is.True);
            Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("script-src 'self'")
                .And.Contain("default-src 'none'").And.Not.Contain("unsafe-inline").And.Not.Contain("unsafe-eval"));
            Assert.That(System.Text.RegularExpressions.Regex.Matches(html, "<script(?![^>]*\\bsrc=)"), Is.Empty, "no inline script");
            Assert.That(html, Does.Not.Contain("style="), "no inline style");
        }
    }
}
