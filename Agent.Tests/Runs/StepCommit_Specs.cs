using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Connections;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Persistence.Usage;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Tests.Runs;

/// <summary>
/// The step commit's cost, held to issue 13's goals by counting rather than timing: one round trip to PostgreSQL per
/// commit whatever it writes, a run-row update that PostgreSQL can make HOT (no index entries), and a step's messages
/// stored once (in its checkpoint; the event row refers to them and is read back whole).
/// </summary>
[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_a_step_is_committed
{
    private TestDatabase database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync()
    {
        database = await TestDatabase.CreateAsync();
        await using var context = database.CreateContext();
        await new AgentDatabaseMigrator(context, TimeProvider.System).MigrateAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task DropDatabaseAsync() => await database.DisposeAsync();

    [Test]
    public async Task Should_write_the_checkpoint_events_model_call_and_counters_in_one_round_trip()
    {
        var run = await InsertRunAsync();
        await using var context = CountedContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var claim = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);

        var count = RoundTripCounter.Begin();
        var committed = await store.CommitStepAsync(Step(run, claim.Epoch, step: 1, events: 2), CancellationToken.None);

        await using var check = database.CreateContext();
        var row = await check.Runs.AsNoTracking().SingleAsync(r => r.RunId == run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(count.RoundTrips, Is.EqualTo(1), () => "sent: " + string.Join(" | ", count.Sent));
            Assert.That(committed!.Events.Select(e => e.Sequence), Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(await check.RunEvents.Where(e => e.RunId == run.RunId).OrderBy(e => e.Sequence).Select(e => e.Sequence).ToListAsync(),
                Is.EqualTo(new long[] { 1, 2 }));
            Assert.That(await check.Checkpoints.CountAsync(c => c.RunId == run.RunId && c.Step == 1), Is.EqualTo(1));
            Assert.That(await check.ModelCalls.CountAsync(c => c.RunId == run.RunId && c.Step == 1), Is.EqualTo(1));
            Assert.That((row.StepCount, row.LastEventSequence, row.InputTokens, row.OutputTokens), Is.EqualTo((1, 2L, 1200L, 80L)));
        }
    }

    [Test]
    public async Task Should_end_a_paused_run_with_its_thread_and_interrupts_in_one_round_trip()
    {
        var run = await InsertRunAsync();
        await using var context = CountedContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var claim = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);
        var step = Step(run, claim.Epoch, step: 1, events: 1);
        await store.CommitStepAsync(step, CancellationToken.None);

        var count = RoundTripCounter.Begin();
        var paused = await store.PauseAsync(
            run.RunId, claim.Epoch, step.Checkpoint!.CheckpointId, [new PendingInterrupt("i-1", "tools", PendingInterrupt.Before, null)],
            CancellationToken.None);

        await using var check = database.CreateContext();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(count.RoundTrips, Is.EqualTo(1), () => "sent: " + string.Join(" | ", count.Sent));
            Assert.That(paused!.Events.Select(e => (e.Sequence, e.Kind)), Is.EqualTo(new[] { (2L, "interrupt"), (3L, "status") }));
            Assert.That((await check.Runs.AsNoTracking().SingleAsync(r => r.RunId == run.RunId)).Status, Is.EqualTo(AgentRunStatus.Success));
            Assert.That((await check.Threads.AsNoTracking().SingleAsync(t => t.ThreadId == run.ThreadId)).Status, Is.EqualTo(AgentThreadStatus.Interrupted));
            Assert.That((await check.Checkpoints.AsNoTracking().SingleAsync(c => c.CheckpointId == step.Checkpoint.CheckpointId)).Interrupts, Does.Contain("i-1"));
        }
    }

    [Test]
    public async Task Should_write_nothing_in_one_round_trip_when_fenced_off()
    {
        var run = await InsertRunAsync();
        await using var context = CountedContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var stale = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);
        await store.ClaimAsync(run.RunId, "worker-b", TimeSpan.FromSeconds(30), takeOver: true, CancellationToken.None);

        var count = RoundTripCounter.Begin();
        var fenced = await store.CommitStepAsync(Step(run, stale.Epoch, step: 1, events: 1), CancellationToken.None);

        await using var check = database.CreateContext();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fenced, Is.Null);
            Assert.That(count.RoundTrips, Is.EqualTo(1));
            Assert.That(await check.Checkpoints.CountAsync(c => c.RunId == run.RunId), Is.Zero);
            Assert.That(await check.RunEvents.CountAsync(e => e.RunId == run.RunId), Is.Zero);
            Assert.That(await check.ModelCalls.CountAsync(c => c.RunId == run.RunId), Is.Zero);
        }
    }

    [Test]
    public async Task Should_leave_the_lease_to_the_heartbeat_so_the_run_row_updates_are_HOT()
    {
        const int steps = 5;
        // A database of its own: its statistics hold this test's updates of agent.runs and nothing else.
        await using var own = await TestDatabase.CreateAsync();
        await using (var migrating = own.CreateContext())
        {
            await new AgentDatabaseMigrator(migrating, TimeProvider.System).MigrateAsync(CancellationToken.None);
        }

        var run = await InsertRunAsync(own);
        await using var context = own.CreateContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var claim = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);
        var leased = (await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == run.RunId)).LeaseExpiresAt;

        for (var step = 1; step <= steps; step++)
        {
            await store.CommitStepAsync(Step(run, claim.Epoch, step, events: 1), CancellationToken.None);
        }

        // Backends report their counters within seconds; the claim is one update (not HOT: it sets the lease).
        var counted = await Poll.UntilAsync(() => RunsCountersAsync(own), c => c.Updated >= 1 + steps, TimeSpan.FromSeconds(30));
        using (Assert.EnterMultipleScope())
        {
            Assert.That((await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == run.RunId)).LeaseExpiresAt, Is.EqualTo(leased));
            Assert.That(counted.Updated, Is.EqualTo(1 + steps), "pg_stat_user_tables.n_tup_upd of agent.runs");
            Assert.That(counted.HotUpdated, Is.EqualTo(steps), "pg_stat_user_tables.n_tup_hot_upd of agent.runs");
        }
    }

    [Test]
    public async Task Should_be_prepared_on_its_connection_once_it_repeats()
    {
        const int steps = 12;
        var run = await InsertRunAsync();
        await using var context = database.CreateContext();
        // One physical connection for every commit, so its session holds the prepared statement to look at.
        await context.Database.OpenConnectionAsync();
        var store = new RunLifecycle(context, TimeProvider.System);
        var claim = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);

        for (var step = 1; step <= steps; step++)
        {
            await store.CommitStepAsync(Step(run, claim.Epoch, step, events: 1), CancellationToken.None);
        }

        // Each execution of a prepared statement counts one plan, generic or custom (pg_prepared_statements).
        var executions = await context.Database.SqlQuery<long>($"""
            SELECT (generic_plans + custom_plans)::bigint AS "Value" FROM pg_prepared_statements
             WHERE statement LIKE '%UPDATE agent.runs%' AND statement LIKE '%INSERT INTO agent.run_events%'
            """).ToListAsync();
        Assert.That(executions, Has.Count.EqualTo(1).And.All.GreaterThanOrEqualTo(steps - StatementPreparation.MinUsages),
            "the step commit should be prepared once on the connection (Max Auto Prepare) and reused by every later commit");
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task Should_store_a_step_event_s_messages_once_and_read_the_event_back_whole(bool withValues)
    {
        var run = await InsertRunAsync();
        await using var context = database.CreateContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var claim = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);
        var (commit, eventData) = StepWithMessages(run, claim.Epoch, withValues ? new JsonObject { ["remaining_steps"] = 23 } : null, sameMessages: true);

        await store.CommitStepAsync(commit, CancellationToken.None);

        var stored = JsonNode.Parse(await StoredEventDataAsync(run.RunId))!.AsObject();
        await using var check = database.CreateContext();
        var read = await check.RunEvents.AsNoTracking().SingleAsync(e => e.RunId == run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.ContainsKey("messages"), Is.False, "the run_events row should not repeat the checkpoint's messages");
            Assert.That(stored.ContainsKey("values"), Is.False, "the run_events row should not repeat the checkpoint's values");
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(read.Data), eventData), Is.True, () => "read back: " + read.Data);
        }
    }

    [Test]
    public async Task Should_read_a_subgraph_step_s_event_back_from_the_checkpoint_of_its_own_namespace()
    {
        var run = await InsertRunAsync();
        await using var context = database.CreateContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var claim = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);
        // The run's step 1 and its subgraph's step 1: same run, same step number, two namespaces.
        var (own, ownData) = StepWithMessages(run, claim.Epoch, values: null, sameMessages: true, content: "the run's own step");
        var (inner, innerData) = StepWithMessages(run, claim.Epoch, values: null, sameMessages: true, content: "the subgraph's step", ns: "research:9d1c5e4e");

        await store.CommitStepAsync(own, CancellationToken.None);
        await store.CommitStepAsync(inner, CancellationToken.None);

        await using var check = database.CreateContext();
        var read = await check.RunEvents.AsNoTracking().Where(e => e.RunId == run.RunId).OrderBy(e => e.Sequence).ToListAsync();
        Assert.That(read, Has.Count.EqualTo(2));
        var stored = JsonNode.Parse(await StoredEventDataAsync(run.RunId, read[1].Sequence))!.AsObject();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.ContainsKey("messages"), Is.False, "the subgraph step's run_events row should not repeat its checkpoint's messages");
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(read[0].Data), ownData), Is.True, () => "the run's step read back: " + read[0].Data);
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(read[1].Data), innerData), Is.True, () => "the subgraph's step read back: " + read[1].Data);
        }
    }

    [Test]
    public async Task Should_store_a_step_event_whole_when_its_messages_are_not_its_checkpoint_s()
    {
        var run = await InsertRunAsync();
        await using var context = database.CreateContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var claim = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);
        var (commit, eventData) = StepWithMessages(run, claim.Epoch, values: null, sameMessages: false);

        await store.CommitStepAsync(commit, CancellationToken.None);

        await using var check = database.CreateContext();
        var read = await check.RunEvents.AsNoTracking().SingleAsync(e => e.RunId == run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(await StoredEventDataAsync(run.RunId)), eventData), Is.True);
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(read.Data), eventData), Is.True, () => "read back: " + read.Data);
        }
    }

    private async Task<string> StoredEventDataAsync(Guid runId, long sequence = 1)
    {
        await using var command = database.DataSource.CreateCommand("SELECT data::text FROM agent.run_events WHERE run_id = $1 AND sequence = $2");
        command.Parameters.AddWithValue(runId);
        command.Parameters.AddWithValue(sequence);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    // A step like the worker's: the event carries the messages (and the values) the checkpoint's delta holds, or, with
    // sameMessages false, messages of its own; with a namespace, a subgraph's step (StepCommitBuilder names it in both).
    private static (RunStepCommit Commit, JsonObject EventData) StepWithMessages(
        AgentRun run, long epoch, JsonObject? values, bool sameMessages, string content = "VACUUM reclaims storage.", string ns = "")
    {
        var checkpointId = Guid.CreateVersion7();
        var messages = new JsonArray(new JsonObject { ["type"] = "tool", ["content"] = content, ["tool_call_id"] = "call_1" });
        var delta = new JsonObject { ["messages"] = messages.DeepClone() };
        var eventData = new JsonObject
        {
            ["step"] = 1,
            ["node"] = "tools",
            ["checkpoint_id"] = checkpointId.ToString(),
            ["parent_checkpoint_id"] = null,
            ["messages"] = sameMessages ? messages.DeepClone() : new JsonArray(new JsonObject { ["type"] = "ai", ["content"] = "other" }),
            ["tool_calls"] = new JsonArray(new JsonObject { ["name"] = "search_documents", ["id"] = "call_1", ["latency_ms"] = 1.5 }),
        };
        if (ns.Length > 0)
        {
            eventData["checkpoint_ns"] = ns;
        }

        if (values is not null)
        {
            eventData["values"] = values.DeepClone();
            foreach (var (channel, value) in values)
            {
                delta[channel] = value?.DeepClone();
            }
        }

        var commit = Step(run, epoch, step: 1, events: 0) with
        {
            Checkpoint = new Checkpoint
            {
                CheckpointId = checkpointId,
                TenantId = run.TenantId,
                ThreadId = run.ThreadId,
                RunId = run.RunId,
                CheckpointNs = ns,
                Step = 1,
                Node = "tools",
                Delta = delta.ToJsonString(),
                Metadata = new JsonObject { ["step"] = 1 }.ToJsonString(),
                Next = ["agent"],
            },
            Events = [("step", eventData.ToJsonString())],
            ModelCall = null,
        };
        return (commit, eventData);
    }

    private static async Task<RunsCounters> RunsCountersAsync(TestDatabase on)
    {
        await using var command = on.DataSource.CreateCommand(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = 'agent' AND relname = 'runs'");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new RunsCounters(reader.GetInt64(0), reader.GetInt64(1));
    }

    private AgentDbContext CountedContext()
    {
        var builder = new DbContextOptionsBuilder<AgentDbContext>();
        builder.UseAgentDatabase(database.DataSource).AddInterceptors(RoundTripCounter.Instance);
        return new AgentDbContext(builder.Options);
    }

    private static RunStepCommit Step(AgentRun run, long epoch, int step, int events) => new()
    {
        RunId = run.RunId,
        Epoch = epoch,
        Checkpoint = new Checkpoint
        {
            CheckpointId = Guid.CreateVersion7(),
            TenantId = run.TenantId,
            ThreadId = run.ThreadId,
            RunId = run.RunId,
            Step = step,
            Node = "agent",
            Delta = """{"messages":[]}""",
            Metadata = new JsonObject { ["step"] = step }.ToJsonString(),
            Next = ["tools"],
        },
        Events = [.. Enumerable.Range(0, events).Select(i => ("step", new JsonObject { ["i"] = i }.ToJsonString()))],
        StepsAdded = 1,
        InputTokens = 1200,
        OutputTokens = 80,
        CostUsd = 0.000228m,
        ModelCall = new ModelCall
        {
            Step = step,
            Provider = "openai",
            Model = "gpt-4o-mini",
            InputTokens = 1200,
            OutputTokens = 80,
            LatencyMs = 350.5,
            FinishReason = "tool_calls",
        },
    };

    private Task<AgentRun> InsertRunAsync() => InsertRunAsync(database);

    private static async Task<AgentRun> InsertRunAsync(TestDatabase on)
    {
        await using var context = on.CreateContext(AgentTenants.Default);
        var now = DateTimeOffset.UtcNow;
        var thread = new AgentThread { ThreadId = Guid.CreateVersion7(), CreatedAt = now, UpdatedAt = now, Status = AgentThreadStatus.Busy };
        var run = new AgentRun
        {
            RunId = Guid.CreateVersion7(),
            ThreadId = thread.ThreadId,
            AssistantId = SystemAssistants.IdFor(SystemAssistants.AgentGraphId),
            CreatedAt = now,
            UpdatedAt = now,
        };
        context.Threads.Add(thread);
        context.Runs.Add(run);
        await context.SaveChangesAsync();
        return run;
    }

    private sealed record RunsCounters(long Updated, long HotUpdated);
}
