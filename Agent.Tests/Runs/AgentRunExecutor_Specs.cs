using Agent.Persistence.Runs;
using Agent.Tests.Fakes;
using Microsoft.EntityFrameworkCore;

namespace Agent.Tests.Runs;

[TestFixture]
[Category("Integration")]
public sealed class When_a_worker_stops_in_the_middle_of_a_model_call
{
    private RunHarness harness = null!;

    [SetUp]
    public async Task CreateDatabaseAsync() => harness = await RunHarness.CreateAsync();

    [TearDown]
    public async Task DropDatabaseAsync() => await harness.DisposeAsync();

    [Test]
    public async Task Should_resume_after_the_last_committed_step_without_repeating_it()
    {
        var run = await harness.InsertRunAsync("How do I create a GIN index?");
        var tool = new EchoTool();
        using var stopping = new CancellationTokenSource();
        var firstModel = new ScriptedChatClient(
            ScriptedChatClient.ToolCall("call_1", "search_documents", new() { ["query"] = "gin" }),
            ScriptedChatClient.Answer("never delivered"));
        // The second model call is where the first worker "dies": its stopping token fires mid-call.
        firstModel.BeforeCall = async (call, ct) =>
        {
            if (call == 1)
            {
                await stopping.CancelAsync();
                ct.ThrowIfCancellationRequested();
            }
        };

        await using (var first = await harness.StartWorkerAsync(firstModel, tool, instanceId: "worker-a"))
        {
            // Stopped mid-call, the worker hands the run back: lease released, run pending again.
            await RunHarness.ExecuteAsync(first, run, redelivered: false, stopping.Token);
        }

        await using (var afterStop = harness.Database.CreateContext())
        {
            var handedBack = await afterStop.Runs.AsNoTracking().SingleAsync(r => r.RunId == run.RunId);
            using (Assert.EnterMultipleScope())
            {
                Assert.That(handedBack.Status, Is.EqualTo(AgentRunStatus.Pending));
                Assert.That(handedBack.LeaseOwner, Is.Null);
                Assert.That(handedBack.DispatchedAt, Is.Not.Null);
            }
        }

        var secondModel = new ScriptedChatClient(ScriptedChatClient.Answer("Use CREATE INDEX ... USING GIN."));
        await using (var second = await harness.StartWorkerAsync(secondModel, tool, instanceId: "worker-b"))
        {
            await RunHarness.ExecuteAsync(second, run, redelivered: true, CancellationToken.None);
        }

        await using var context = harness.Database.CreateContext();
        var stored = await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == run.RunId);
        var steps = await context.Checkpoints.AsNoTracking().Where(c => c.RunId == run.RunId)
            .OrderBy(c => c.Sequence).Select(c => new { c.Step, c.Node }).ToListAsync();
        var sequences = await context.RunEvents.AsNoTracking().Where(e => e.RunId == run.RunId)
            .OrderBy(e => e.Sequence).Select(e => e.Sequence).ToListAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(stored.Status, Is.EqualTo(AgentRunStatus.Success));
            Assert.That(stored.Attempt, Is.EqualTo(2));
            Assert.That(steps.Select(s => s.Step), Is.EqualTo(new[] { -1, 0, 1, 2, 3 }));
            Assert.That(steps.Select(s => s.Node), Is.EqualTo(new[] { "__input__", "__start__", "agent", "tools", "agent" }));
            Assert.That(sequences, Is.EqualTo(new long[] { 1, 2, 3, 4, 5 }));
            Assert.That(tool.Invocations, Has.Count.EqualTo(1), "the committed tool step must not run again");
            Assert.That(secondModel.Calls, Has.Count.EqualTo(1), "only the interrupted model call runs again");
            Assert.That(stored.InputTokens, Is.EqualTo(10 + 20));
            Assert.That(stored.StepCount, Is.EqualTo(3));
        }
    }

    [Test]
    public async Task Should_fence_off_a_worker_whose_lease_was_taken_over()
    {
        var run = await harness.InsertRunAsync("hello");
        await using var context = harness.Database.CreateContext();
        var store = new RunLifecycle(context, TimeProvider.System);

        var a = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);
        var duplicate = await store.ClaimAsync(run.RunId, "worker-b", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);
        var b = await store.ClaimAsync(run.RunId, "worker-b", TimeSpan.FromSeconds(30), takeOver: true, CancellationToken.None);
        var staleCommit = await store.CommitStepAsync(
            new RunStepCommit { RunId = run.RunId, Epoch = a.Epoch, Events = [("step", "{}")] }, CancellationToken.None);
        var renewedByA = await store.RenewLeaseAsync(run.RunId, a.Epoch, TimeSpan.FromSeconds(30), CancellationToken.None);
        var ownCommit = await store.CommitStepAsync(
            new RunStepCommit { RunId = run.RunId, Epoch = b.Epoch, Events = [("step", "{}")] }, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(a.Outcome, Is.EqualTo(RunClaimOutcome.Claimed));
            Assert.That(duplicate.Outcome, Is.EqualTo(RunClaimOutcome.LeasedElsewhere));
            Assert.That(b.Epoch, Is.EqualTo(a.Epoch + 1));
            Assert.That(staleCommit, Is.Null);
            Assert.That(renewedByA, Is.False);
            Assert.That(ownCommit!.Events.Single().Sequence, Is.EqualTo(1));
        }
    }

    [Test]
    public async Task Should_keep_a_second_run_of_the_thread_waiting_until_the_first_ends()
    {
        var first = await harness.InsertRunAsync("one");
        var second = await harness.InsertRunAsync("two", first.ThreadId);
        await using var context = harness.Database.CreateContext();
        var store = new RunLifecycle(context, TimeProvider.System);

        var blocked = await store.ClaimAsync(second.RunId, "w", TimeSpan.FromSeconds(30), takeOver: false, CancellationToken.None);

        Assert.That(blocked.Outcome, Is.EqualTo(RunClaimOutcome.WaitingForThread));
    }
}
