using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Persistence.Usage;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Agent.Tests.Telemetry;

[TestFixture]
[Category("Integration")]
public sealed class When_a_step_with_a_model_call_is_committed
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
    public async Task Should_record_the_call_with_the_runs_thread_and_assistant_in_the_steps_transaction()
    {
        var run = await InsertRunAsync();
        await using var context = database.CreateContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var claim = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);

        var committed = await store.CommitStepAsync(Step(run, claim.Epoch, step: 1), CancellationToken.None);

        var call = await context.ModelCalls.AsNoTracking().SingleAsync(c => c.RunId == run.RunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(committed, Is.Not.Null);
            Assert.That(call.Step, Is.EqualTo(1));
            Assert.That(call.ThreadId, Is.EqualTo(run.ThreadId), "copied from the run");
            Assert.That(call.AssistantId, Is.EqualTo(run.AssistantId), "copied from the run");
            Assert.That((call.Provider, call.Model, call.InputTokens, call.OutputTokens, call.CachedInputTokens),
                Is.EqualTo(("openai", "gpt-4o-mini", 1200L, 80L, (long?)1024L)));
            Assert.That((call.LatencyMs, call.FinishReason, call.CostUsd), Is.EqualTo((350.5, "tool_calls", (decimal?)0.000228m)));
        }
    }

    [Test]
    public async Task Should_write_no_call_when_the_writer_was_fenced_off_and_none_twice_for_one_step()
    {
        var run = await InsertRunAsync();
        await using var context = database.CreateContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var stale = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);
        var current = await store.ClaimAsync(run.RunId, "worker-b", TimeSpan.FromSeconds(30), takeOver: true, CancellationToken.None);

        var fenced = await store.CommitStepAsync(Step(run, stale.Epoch, step: 1), CancellationToken.None);
        await store.CommitStepAsync(Step(run, current.Epoch, step: 1), CancellationToken.None);
        // A re-commit of the same step (as after a lost acknowledgement) fails as a whole: no second call, no checkpoint.
        Assert.That(async () => await store.CommitStepAsync(Step(run, current.Epoch, step: 1), CancellationToken.None), Throws.Exception);

        await using var check = database.CreateContext();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fenced, Is.Null);
            Assert.That(await check.ModelCalls.CountAsync(c => c.RunId == run.RunId), Is.EqualTo(1));
            Assert.That(await check.Checkpoints.CountAsync(c => c.RunId == run.RunId), Is.EqualTo(1));
        }
    }

    private static RunStepCommit Step(AgentRun run, long epoch, int step) => new()
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
            Metadata = "{}",
        },
        Events = [("step", "{}")],
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
            CachedInputTokens = 1024,
            LatencyMs = 350.5,
            FinishReason = "tool_calls",
            CostUsd = 0.000228m,
        },
    };

    private async Task<AgentRun> InsertRunAsync()
    {
        await using var context = database.CreateContext(AgentTenants.Default);
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
}
