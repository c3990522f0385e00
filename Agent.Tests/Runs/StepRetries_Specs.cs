using System.Net;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Agent.Tests.Fakes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;

namespace Agent.Tests.Runs;

[TestFixture]
[Category("Integration")]
public sealed class When_model_and_tool_calls_fail_or_take_too_long
{
    private RunHarness harness = null!;

    // One database for the fixture: every spec works on runs of its own.
    [OneTimeSetUp]
    public async Task CreateAsync() => harness = await RunHarness.CreateAsync();

    [OneTimeTearDown]
    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Test]
    public async Task Should_retry_transient_model_failures_inside_the_step_and_commit_it_once()
    {
        var run = await harness.InsertRunAsync("gin?");
        var model = new ScriptedChatClient(SearchThenAnswer) { BeforeCall = FailCalls(HttpStatusCode.ServiceUnavailable, 0, 1) };
        var tool = new EchoTool();
        var worker = await harness.StartWorkerAsync(model, tool);

        await RunHarness.ExecuteAsync(worker, run);

        var stored = await harness.LoadRunAsync(run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Success));
            Assert.That(model.Calls, Has.Count.EqualTo(4), "two failed attempts, then the tool call and the answer");
            Assert.That((await harness.StepsAsync(run.RunId)).Select(s => s.Step), Is.EqualTo(new[] { -1, 0, 1, 2, 3 }));
            Assert.That((await harness.EventsAsync(run.RunId)).Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
            Assert.That(stored.RetryCount, Is.Zero);
        }
    }

    [Test]
    public async Task Should_park_the_run_on_a_longer_outage_and_resume_it_when_the_retry_is_due()
    {
        var run = await harness.InsertRunAsync("gin?");
        var model = new ScriptedChatClient(SearchThenAnswer) { BeforeCall = FailCalls(HttpStatusCode.ServiceUnavailable, 0, 1, 2) };
        var worker = await harness.StartWorkerAsync(model, new EchoTool());

        await RunHarness.ExecuteAsync(worker, run);
        var parked = await harness.LoadRunAsync(run.RunId);
        var parkedAt = harness.Clock.GetUtcNow();
        await RunHarness.ExecuteAsync(worker, run, redelivered: true);
        var callsBeforeDue = model.Calls.Count;
        harness.Clock.Advance(TimeSpan.FromSeconds(40));
        await RunHarness.ExecuteAsync(worker, run);

        var stored = await harness.LoadRunAsync(run.RunId);
        var events = await harness.EventsAsync(run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(parked.Status, Is.EqualTo(AgentRunStatus.Pending));
            Assert.That(parked.RetryCount, Is.EqualTo(1));
            Assert.That(parked.LeaseOwner, Is.Null);
            // RetryWaitSeconds 30 with 0.8-1.2 jitter.
            Assert.That(parked.NextAttemptAt, Is.InRange(parkedAt + TimeSpan.FromSeconds(23), parkedAt + TimeSpan.FromSeconds(37)));
            Assert.That(JsonNode.Parse(parked.Error!)!["status_code"]!.GetValue<int>(), Is.EqualTo(503));
            Assert.That(callsBeforeDue, Is.EqualTo(3), "a claim before the retry is due is refused");
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Success));
            Assert.That(stored.Error, Is.Null, "success clears the retry reason");
            Assert.That(stored.NextAttemptAt, Is.Null);
            Assert.That(model.Calls, Has.Count.EqualTo(5));
            Assert.That((await harness.StepsAsync(run.RunId)).Select(s => s.Step), Is.EqualTo(new[] { -1, 0, 1, 2, 3 }));
            Assert.That(events.Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2, 3, 4, 5, 6 }));
            Assert.That(events[1].Data["status"]!.GetValue<string>(), Is.EqualTo("pending"));
            Assert.That(events[1].Data["retry"]!.GetValue<int>(), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_end_the_run_in_error_with_the_reason_after_the_retry_limit()
    {
        var run = await harness.InsertRunAsync("gin?");
        var model = new ScriptedChatClient(SearchThenAnswer) { BeforeCall = FailCalls(HttpStatusCode.BadGateway, 0, 1, 2) };
        var worker = await harness.StartWorkerAsync(model, new EchoTool(), o => o.RunRetries = 0);

        await RunHarness.ExecuteAsync(worker, run);

        var stored = await harness.LoadRunAsync(run.RunId);
        var error = JsonNode.Parse(stored.Error!)!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Error));
            Assert.That(error["status_code"]!.GetValue<int>(), Is.EqualTo(502));
            Assert.That(error["message"]!.GetValue<string>(), Does.Contain("RunRetries"));
            Assert.That(model.Calls, Has.Count.EqualTo(3));
        }
    }

    [Test]
    public async Task Should_not_retry_a_deterministic_failure()
    {
        var run = await harness.InsertRunAsync("gin?");
        var model = new ScriptedChatClient(SearchThenAnswer) { BeforeCall = FailCalls(HttpStatusCode.BadRequest, 0) };
        var worker = await harness.StartWorkerAsync(model, new EchoTool());

        await RunHarness.ExecuteAsync(worker, run);

        var stored = await harness.LoadRunAsync(run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Error));
            Assert.That(stored.RetryCount, Is.Zero);
            Assert.That(model.Calls, Has.Count.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_cancel_a_model_call_past_its_time_limit_and_retry_it()
    {
        var run = await harness.InsertRunAsync("gin?");
        var model = new ScriptedChatClient(SearchThenAnswer) { BeforeCall = HangOnCall(0) };
        var worker = await harness.StartWorkerAsync(model, new EchoTool(), o => o.ModelCallTimeoutSeconds = 0.3);

        await RunHarness.ExecuteAsync(worker, run);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await harness.LoadRunAsync(run.RunId)).Status, Is.EqualTo(AgentRunStatus.Success));
            Assert.That(model.Calls, Has.Count.EqualTo(3), "the hung call, then the tool call and the answer");
        }
    }

    [Test]
    public async Task Should_retry_a_transient_tool_failure_inside_the_step()
    {
        var run = await harness.InsertRunAsync("gin?");
        var tool = new EchoTool
        {
            BeforeInvoke = (attempt, _) => attempt == 0 ? throw new IOException("connection reset") : Task.CompletedTask,
        };
        var worker = await harness.StartWorkerAsync(new ScriptedChatClient(SearchThenAnswer), tool);

        await RunHarness.ExecuteAsync(worker, run);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await harness.LoadRunAsync(run.RunId)).Status, Is.EqualTo(AgentRunStatus.Success));
            Assert.That(tool.Attempts, Is.EqualTo(2));
            Assert.That(tool.Invocations.Select(i => i.IdempotencyKey).Distinct().Count(), Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_end_a_run_past_its_time_limit_with_status_timeout()
    {
        var run = await harness.InsertRunAsync("gin?");
        var model = new ScriptedChatClient(SearchThenAnswer) { BeforeCall = HangOnCall(0) };
        var worker = await harness.StartWorkerAsync(model, new EchoTool(), o => o.RunTimeoutSeconds = 1);

        await RunHarness.ExecuteAsync(worker, run);

        var stored = await harness.LoadRunAsync(run.RunId);
        await using var context = harness.Database.CreateContext();
        var thread = await context.Threads.AsNoTracking().SingleAsync(t => t.ThreadId == run.ThreadId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Timeout));
            Assert.That(JsonNode.Parse(stored.Error!)!["error"]!.GetValue<string>(), Is.EqualTo("RunTimeout"));
            Assert.That(thread.Status, Is.EqualTo(AgentThreadStatus.Error));
            Assert.That((await harness.EventsAsync(run.RunId))[^1].Data["status"]!.GetValue<string>(), Is.EqualTo("timeout"));
        }
    }

    [Test]
    public async Task Should_end_a_resumed_run_whose_time_limit_passed_while_it_was_away_without_calling_the_model()
    {
        var run = await harness.InsertRunAsync("gin?");
        await using (var context = harness.Database.CreateContext())
        {
            // A worker claimed it long ago and died.
            await new RunLifecycle(context, harness.Clock).ClaimAsync(run.RunId, "dead", TimeSpan.FromSeconds(5), false, CancellationToken.None);
        }

        harness.Clock.Advance(TimeSpan.FromMinutes(10));
        var model = new ScriptedChatClient(SearchThenAnswer);
        var worker = await harness.StartWorkerAsync(model, new EchoTool(), o => o.RunTimeoutSeconds = 300);

        await RunHarness.ExecuteAsync(worker, run, redelivered: true);

        using (Assert.EnterMultipleScope())
        {
            Assert.That((await harness.LoadRunAsync(run.RunId)).Status, Is.EqualTo(AgentRunStatus.Timeout));
            Assert.That(model.Calls, Is.Empty);
        }
    }

    [Test]
    public async Task Should_end_a_run_claimed_more_often_than_the_attempt_limit()
    {
        var run = await harness.InsertRunAsync("crashes its worker");
        await using (var context = harness.Database.CreateContext())
        {
            var store = new RunLifecycle(context, harness.Clock);
            await store.ClaimAsync(run.RunId, "w1", TimeSpan.FromSeconds(5), false, CancellationToken.None);
            await store.ClaimAsync(run.RunId, "w2", TimeSpan.FromSeconds(5), true, CancellationToken.None);
        }

        var model = new ScriptedChatClient(SearchThenAnswer);
        var worker = await harness.StartWorkerAsync(model, new EchoTool(), o => o.MaxAttempts = 2);

        await RunHarness.ExecuteAsync(worker, run, redelivered: true);

        var stored = await harness.LoadRunAsync(run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Error));
            Assert.That(JsonNode.Parse(stored.Error!)!["error"]!.GetValue<string>(), Is.EqualTo("AttemptLimitReached"));
            Assert.That(model.Calls, Is.Empty);
        }
    }

    /// <summary>Asks for the tool until the conversation has a tool result, then answers (by content, not call index).</summary>
    private static ChatResponse SearchThenAnswer(IReadOnlyList<ChatMessage> messages, ChatOptions? options, int call) =>
        messages.Any(m => m.Role == ChatRole.Tool)
            ? ScriptedChatClient.Answer("Use CREATE INDEX ... USING GIN.")
            : ScriptedChatClient.ToolCall($"call_{call}", "search_documents", new() { ["query"] = "gin" });

    private static Func<int, CancellationToken, Task> FailCalls(HttpStatusCode status, params int[] calls) =>
        (call, _) => calls.Contains(call)
            ? throw new HttpRequestException($"scripted {(int)status}", null, status)
            : Task.CompletedTask;

    // A model that never answers, but honours cancellation as a real HTTP call does.
    private static Func<int, CancellationToken, Task> HangOnCall(int hung) =>
        (call, token) => call == hung ? new TaskCompletionSource().Task.WaitAsync(token) : Task.CompletedTask;
}
