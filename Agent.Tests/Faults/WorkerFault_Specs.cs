using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Assistants;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Persistence.Wire;
using Agent.Tests.Fakes;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Agent.Tests.Faults;

/// <summary>
/// Fault tests 1-4, 7 and 8 of issue 3 on real worker processes (kill -9, SIGSTOP/SIGCONT, SIGTERM, a 429/500 storm),
/// against the shared PostgreSQL and RabbitMQ. Each scenario asserts the invariants of
/// <see cref="FaultSystem.AssertDurableAsync"/> and logs the time from the fault to the resumed step.
/// </summary>
[TestFixture]
[Category("Integration")]
[Category("Faults")]
[NonParallelizable]
public sealed class When_a_worker_fails_in_the_middle_of_a_run
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private FaultSystem faults = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => faults = await FaultSystem.StartAsync(
        workers: 2,
        modelLatency: TimeSpan.FromMilliseconds(200),
        extraEnvironment: new Dictionary<string, string?>
        {
            // A shared rate limit far above what the specs send: every model call first updates its row in
            // agent.provider_rate_limits, a point before the request that fault 3 can hold with a table lock.
            ["RateLimits__0__Model"] = "gpt-4o-mini",
            ["RateLimits__0__RequestsPerMinute"] = "6000000",
            ["RateLimits__0__RequestBurst"] = "100000",
        });

    [OneTimeTearDown]
    public async Task StopAsync() => await faults.DisposeAsync();

    [SetUp]
    public Task EnsureTwoWorkersAsync() => faults.EnsureWorkersAsync(2);

    [TearDown]
    public void ShowLogsOnFailure()
    {
        faults.Model.Script(FakeOpenAIServer.SearchThenAnswer);
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(faults.System.Logs());
        }
    }

    [Test]
    public async Task Should_resume_on_another_worker_after_a_kill_9_in_the_middle_of_a_model_call()
    {
        const string question = "Fault 1: kill -9 in a model call. How do I create a GIN index?";
        // The first model call never answers: its worker dies holding it.
        faults.Model.Enqueue(FakeChatReply.ToolCall("search_documents", new { query = question, k = 3 }) with { Gate = new TaskCompletionSource().Task });
        var (_, runId) = await faults.SubmitAsync(question);
        await faults.WaitForRequestsAsync(question, 1);
        var owner = await faults.OwnerAsync(runId);

        var recovery = faults.MeasureRecoveryAsync(runId);
        await owner.SignalAsync("KILL");
        FaultSystem.Report("kill -9 mid model call", await recovery);
        var run = await faults.WaitForEndAsync(runId);

        await faults.AssertDurableAsync(runId, question, AgentRunStatus.Success, repeatedModelCalls: 1); // the killed call never answered
        Assert.That(run.Attempt, Is.EqualTo(2));
    }

    [Test]
    public async Task Should_resume_on_another_worker_after_a_kill_9_in_the_middle_of_a_tool_call()
    {
        const string question = "Fault 2: kill -9 in a tool call. What does VACUUM do?";
        // The search tool reads agent.chunks; a lock held here keeps the worker inside the tool call.
        await using var locker = await faults.System.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await using (var lockChunks = new NpgsqlCommand("LOCK TABLE agent.chunks IN ACCESS EXCLUSIVE MODE", locker, transaction))
        {
            await lockChunks.ExecuteNonQueryAsync();
        }

        var (_, runId) = await faults.SubmitAsync(question);
        await faults.PollAsync(ToolCallBlockedAsync, Wait, "the search tool blocked on agent.chunks");
        var owner = await faults.OwnerAsync(runId);

        var recovery = faults.MeasureRecoveryAsync(runId);
        await owner.SignalAsync("KILL");
        await transaction.RollbackAsync();
        FaultSystem.Report("kill -9 mid tool call", await recovery);
        await faults.WaitForEndAsync(runId);

        await faults.AssertDurableAsync(runId, question, AgentRunStatus.Success, repeatedModelCalls: 0); // the tool call repeats, the committed model step does not
        Assert.That(faults.RequestsFor(question), Has.Count.EqualTo(2), "the committed model step is not called again; only the tool call repeats");
    }

    [Test]
    public async Task Should_resume_at_the_next_step_after_a_kill_9_right_after_a_checkpoint_commit()
    {
        const string question = "Fault 3: kill -9 after a commit. How does a GIN index work?";
        // The tool step blocks on agent.chunks until the shared rate-limit row is locked too; then the worker commits
        // the tool step and stops at the next model call's rate-limit check, before any request leaves it: the kill
        // lands between a commit and the next model call.
        await using var chunksLocker = await faults.System.Database.DataSource.OpenConnectionAsync();
        await using var chunksLock = await chunksLocker.BeginTransactionAsync();
        await LockAsync(chunksLocker, chunksLock, "agent.chunks");
        var (_, runId) = await faults.SubmitAsync(question);
        await faults.PollAsync(ToolCallBlockedAsync, Wait, "the search tool blocked on agent.chunks");

        await using var limitLocker = await faults.System.Database.DataSource.OpenConnectionAsync();
        await using var limitLock = await limitLocker.BeginTransactionAsync();
        await LockAsync(limitLocker, limitLock, "agent.provider_rate_limits");
        await chunksLock.RollbackAsync();
        await faults.PollAsync(() => HasStepAsync(runId, "tools"), Wait, "the tool step committed");
        await faults.PollAsync(() => BlockedOnAsync("agent.provider_rate_limits"), Wait, "the next model call held at its rate-limit check");
        var owner = await faults.OwnerAsync(runId);
        var requestsAtKill = faults.RequestsFor(question).Count;

        var recovery = faults.MeasureRecoveryAsync(runId);
        await owner.SignalAsync("KILL");
        await owner.WaitForExitAsync(Wait);
        await limitLock.RollbackAsync();
        FaultSystem.Report("kill -9 right after a checkpoint commit", await recovery);
        await faults.WaitForEndAsync(runId);

        await faults.AssertDurableAsync(runId, question, AgentRunStatus.Success, repeatedModelCalls: 0); // nothing: no call was in flight
        Assert.That(requestsAtKill, Is.EqualTo(1), "only the first model call had been made when the worker died");
    }

    [Test]
    public async Task Should_keep_an_interrupt_and_its_resume_value_through_a_kill_9_while_paused_and_one_while_resuming()
    {
        const string question = "Fault 9: kill -9 around an interrupt. How do I create a GIN index?";
        const string config = """{"configurable": {"approve_tools": ["search_documents"]}}""";
        using var client = faults.System.Client();
        var threadId = await CreateThreadAsync(client);
        var paused = await FaultSystem.PostAsync(client, $"/threads/{threadId}/runs/wait", $$$"""
            {"assistant_id": "agent", "config": {{{config}}}, "input": {"messages": [{"role": "user", "content": "{{{question}}}"}]}}
            """);
        Assert.That(paused["__interrupt__"]![0]!["value"]!["action_requests"]![0]!["name"]!.GetValue<string>(), Is.EqualTo("search_documents"));

        // Every worker dies while the thread waits for its reviewer.
        foreach (var worker in faults.LiveWorkers.ToList())
        {
            await worker.SignalAsync("KILL");
            await worker.WaitForExitAsync(Wait);
        }

        await faults.EnsureWorkersAsync(2);

        // The resumed tool call blocks on agent.chunks, and its worker dies there: the resume value must survive it.
        await using var locker = await faults.System.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await using (var lockChunks = new NpgsqlCommand("LOCK TABLE agent.chunks IN ACCESS EXCLUSIVE MODE", locker, transaction))
        {
            await lockChunks.ExecuteNonQueryAsync();
        }

        var resume = await FaultSystem.PostAsync(client, $"/threads/{threadId}/runs", """
            {"assistant_id": "agent", "config": CONFIG, "command": {"resume": {"decisions": [
              {"type": "edit", "edited_action": {"name": "search_documents", "args": {"query": "edited: GIN index creation", "k": 2}}}]}}}
            """.Replace("CONFIG", config, StringComparison.Ordinal));
        var runId = Guid.Parse(resume["run_id"]!.GetValue<string>());
        await faults.PollAsync(ToolCallBlockedAsync, Wait, "the resumed search blocked on agent.chunks");
        var owner = await faults.OwnerAsync(runId);
        await owner.SignalAsync("KILL");
        await transaction.RollbackAsync();
        var run = await faults.WaitForEndAsync(runId);

        await using var context = faults.System.Database.CreateContext();
        var steps = await context.Checkpoints.AsNoTracking().Where(c => c.RunId == runId).OrderBy(c => c.Sequence).ToListAsync();
        var thread = await context.Threads.AsNoTracking().SingleAsync(t => t.ThreadId == Guid.Parse(threadId));
        var toolMessage = JsonNode.Parse(steps[0].Delta)!["messages"]![0]!;
        using (Assert.EnterMultipleScope())
        {
            Assert.That(run.Status, Is.EqualTo(AgentRunStatus.Success), run.Error);
            Assert.That(run.Attempt, Is.EqualTo(2), "the resume ran again on another worker");
            Assert.That(steps.Select(c => c.Node), Is.EqualTo(new[] { "tools", "agent" }), "each step committed once");
            Assert.That(toolMessage["content"]!.GetValue<string>(), Does.Contain("\"query\":\"edited: GIN index creation\""), "the reviewer's edit was applied after the crash");
            Assert.That(thread.Status, Is.EqualTo(AgentThreadStatus.Idle));
        }
    }

    [Test]
    public async Task Should_fence_a_worker_paused_past_its_lease_so_it_commits_nothing_when_it_wakes()
    {
        const string question = "Fault 4: SIGSTOP past the lease. What is a partial index?";
        var release = new TaskCompletionSource();
        faults.Model.Enqueue(FakeChatReply.ToolCall("search_documents", new { query = question, k = 3 }) with { Gate = release.Task });
        var (_, runId) = await faults.SubmitAsync(question);
        await faults.WaitForRequestsAsync(question, 1);
        var paused = await faults.OwnerAsync(runId);

        var recovery = faults.MeasureRecoveryAsync(runId);
        await paused.SignalAsync("STOP");
        try
        {
            FaultSystem.Report("SIGSTOP past the lease (sweeper takeover)", await recovery);
            var run = await faults.WaitForEndAsync(runId);
            Assert.That(run.LeaseEpoch, Is.EqualTo(2), "another worker took the run over with a new epoch");
        }
        finally
        {
            // Wake the paused worker with its model answer ready: it must try to commit and be fenced.
            release.SetResult();
            await paused.SignalAsync("CONT");
        }

        await paused.WaitForOutputAsync("fenced off", Wait);
        await faults.AssertDurableAsync(runId, question, AgentRunStatus.Success, repeatedModelCalls: 1); // the fenced worker's call, made again by the new owner
        Assert.That(paused.HasExited, Is.False, "a fenced worker stops the run, not itself");
    }

    [Test]
    public async Task Should_hand_the_run_over_at_once_when_its_worker_gets_SIGTERM()
    {
        const string question = "Fault 8: SIGTERM during a run. How do I vacuum a table?";
        var release = new TaskCompletionSource();
        faults.Model.Enqueue(FakeChatReply.ToolCall("search_documents", new { query = question, k = 3 }) with { Gate = release.Task });
        var (_, runId) = await faults.SubmitAsync(question);
        await faults.WaitForRequestsAsync(question, 1);
        var stopping = await faults.OwnerAsync(runId);

        var recovery = faults.MeasureRecoveryAsync(runId);
        await stopping.SignalAsync("TERM");
        // The model answers within the grace period: the step completes and is committed before the hand-over.
        release.SetResult();
        await stopping.WaitForExitAsync(Wait);
        FaultSystem.Report("SIGTERM (hand-over without lease expiry)", await recovery);
        await faults.WaitForEndAsync(runId);

        await faults.AssertDurableAsync(runId, question, AgentRunStatus.Success, repeatedModelCalls: 0); // the step finished within the grace period
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stopping.ExitCode, Is.Zero, "a graceful exit");
            Assert.That(stopping.Output, Does.Contain("handed back"));
        }
    }

    [Test]
    public async Task Should_ride_out_a_storm_of_429s_and_500s_retrying_in_the_step_or_waiting_and_resuming()
    {
        // Per question: how many of its first model requests fail (429 with Retry-After: 1, then 500, alternating).
        // Four attempts per step: 3 failures are absorbed in the step; 6 park the run once, then it resumes.
        var plan = new Dictionary<string, int>
        {
            ["Fault 7a: storm. What is a GIN index?"] = 3,
            ["Fault 7b: storm. What is a BRIN index?"] = 6,
            ["Fault 7c: storm. What is a hash index?"] = 2,
        };
        var seen = new ConcurrentDictionary<string, int>();
        faults.Model.Script(request =>
        {
            var question = request.LastUserText ?? string.Empty;
            if (plan.TryGetValue(question, out var failures))
            {
                var n = seen.AddOrUpdate(question, 1, (_, count) => count + 1);
                if (n <= failures)
                {
                    return n % 2 == 1 ? FakeChatReply.Error(429, TimeSpan.FromSeconds(1)) : FakeChatReply.Error(500);
                }
            }

            return FakeOpenAIServer.SearchThenAnswer(request);
        });

        var runs = new List<(string Question, Guid RunId)>();
        foreach (var question in plan.Keys)
        {
            runs.Add((question, (await faults.SubmitAsync(question)).RunId));
        }

        foreach (var (_, runId) in runs)
        {
            await faults.WaitForEndAsync(runId);
        }

        foreach (var (question, runId) in runs)
        {
            await faults.AssertDurableAsync(runId, question, AgentRunStatus.Success, repeatedModelCalls: 0, failedRequests: plan[question]);
        }

        await using var context = faults.System.Database.CreateContext();
        var retries = await context.Runs.AsNoTracking().Where(r => runs.Select(x => x.RunId).Contains(r.RunId))
            .ToDictionaryAsync(r => r.RunId, r => r.RetryCount);
        var parkedRunId = runs[1].RunId;
        var statusEvents = await context.RunEvents.AsNoTracking()
            .Where(e => e.RunId == parkedRunId && e.Kind == "status").Select(e => e.Data).ToListAsync();
        var parkedEvents = statusEvents.Count(d => JsonNode.Parse(d)!["status"]!.GetValue<string>() == WireName.Of(AgentRunStatus.Pending));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(retries[runs[0].RunId], Is.Zero, "3 failures are retried inside the step");
            Assert.That(retries[runs[1].RunId], Is.EqualTo(1), "6 failures outlast the step's attempts: one retry wait");
            Assert.That(parkedEvents, Is.EqualTo(1));
            Assert.That(retries[runs[2].RunId], Is.Zero);
        }
    }

    [Test]
    public async Task Should_start_a_run_whose_start_message_was_lost_within_a_sweep_period()
    {
        const string question = "Lost publish: what is a GIN index?";
        var threadId = Guid.CreateVersion7();
        var runId = Guid.CreateVersion7();
        // As if the API committed the run and then failed to send StartAgentRun: a pending row, no message. Created a
        // republish period ago, so the sweeper's next pass owns it.
        var createdAt = DateTimeOffset.UtcNow - TimeSpan.FromSeconds(5);
        await using (var context = faults.System.Database.CreateContext(AgentTenants.Default))
        {
            context.Threads.Add(new AgentThread { ThreadId = threadId, CreatedAt = createdAt, UpdatedAt = createdAt, Status = AgentThreadStatus.Busy });
            context.Runs.Add(new AgentRun
            {
                RunId = runId,
                ThreadId = threadId,
                AssistantId = SystemAssistants.IdFor(SystemAssistants.AgentGraphId),
                Kwargs = new JsonObject
                {
                    ["input"] = new JsonObject
                    {
                        ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = question, ["id"] = Guid.NewGuid().ToString() }),
                    },
                }.ToJsonString(),
                CreatedAt = createdAt,
                UpdatedAt = createdAt,
            });
            await context.SaveChangesAsync();
        }

        var run = await faults.WaitForEndAsync(runId);

        await faults.AssertDurableAsync(runId, question, AgentRunStatus.Success, repeatedModelCalls: 0);
        Assert.That(run.DispatchedAt, Is.Not.Null, "the sweeper sent it");
    }

    [Test]
    public async Task Should_return_the_same_run_when_run_creation_is_retried_with_the_same_Idempotency_Key()
    {
        using var client = faults.System.Client();
        var threadId = await CreateThreadAsync(client);
        var otherThreadId = await CreateThreadAsync(client);
        var key = "retry-" + Guid.NewGuid().ToString("N");
        const string body = """{"assistant_id":"agent","input":{"messages":[{"role":"user","content":"Idempotency: what is VACUUM?"}]}}""";

        var first = await PostRunAsync(client, $"/threads/{threadId}/runs", body, key);
        var retried = await PostRunAsync(client, $"/threads/{threadId}/runs", body, $"\"{key}\"");
        var elsewhere = await PostRunAsync(client, $"/threads/{otherThreadId}/runs", body, key);
        var malformed = await PostRunAsync(client, $"/threads/{threadId}/runs", body, new string('k', 201));
        var runId = Guid.Parse(JsonNode.Parse(first.Body)!["run_id"]!.GetValue<string>());
        await faults.WaitForEndAsync(runId);
        await using var context = faults.System.Database.CreateContext();
        var thread = Guid.Parse(threadId);
        var runsOnThread = await context.Runs.AsNoTracking().CountAsync(r => r.ThreadId == thread);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(retried.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(JsonNode.Parse(retried.Body)!["run_id"]!.GetValue<string>(), Is.EqualTo(runId.ToString()), "same key, same run (bare or quoted)");
            Assert.That(runsOnThread, Is.EqualTo(1), "the retry started nothing");
            Assert.That(elsewhere.Status, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(JsonNode.Parse(elsewhere.Body)!["detail"], Is.Not.Null);
            Assert.That(malformed.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        }
    }

    // On its own connection: pg_stat_activity is a snapshot taken once per transaction, and the locker is in one.
    private Task<bool> ToolCallBlockedAsync() => BlockedOnAsync("agent.chunks");

    // Whether a session of the system waits for a lock on the table (a test holds it).
    private async Task<bool> BlockedOnAsync(string table)
    {
        await using var command = faults.System.Database.DataSource.CreateCommand(
            """
            SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND wait_event_type = 'Lock' AND query ILIKE '%' || $1 || '%'
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    private static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table)
    {
        await using var command = new NpgsqlCommand($"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE", connection, transaction);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<bool> HasStepAsync(Guid runId, string node)
    {
        await using var context = faults.System.Database.CreateContext();
        return await context.Checkpoints.AsNoTracking().AnyAsync(c => c.RunId == runId && c.Node == node);
    }

    private static async Task<string> CreateThreadAsync(HttpClient client)
    {
        using var content = new StringContent("{}", Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        using var response = await client.PostAsync(new Uri("/threads", UriKind.Relative), content);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["thread_id"]!.GetValue<string>();
    }

    private static async Task<(HttpStatusCode Status, string Body)> PostRunAsync(HttpClient client, string path, string body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
