using Agent.Persistence.Runs;
using Npgsql;

namespace Agent.Tests.Runs;

[TestFixture]
[Category("Integration")]
public sealed class When_the_sweeper_looks_for_runs_that_need_a_message
{
    private static readonly TimeSpan RepublishAfter = TimeSpan.FromSeconds(60);
    private RunHarness harness = null!;

    // One database for the fixture: every spec works on runs of its own.
    [OneTimeSetUp]
    public async Task CreateAsync() => harness = await RunHarness.CreateAsync();

    [OneTimeTearDown]
    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Test]
    public async Task Should_send_a_pending_run_never_picked_up_once_per_period_with_the_same_message_id()
    {
        var run = await harness.InsertRunAsync("lost publish");

        var fresh = await SweepAsync(run);
        harness.Clock.Advance(RepublishAfter + TimeSpan.FromSeconds(1));
        var first = await SweepAsync(run);
        var again = await SweepAsync(run);
        harness.Clock.Advance(RepublishAfter + TimeSpan.FromSeconds(1));
        var second = await SweepAsync(run);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(fresh, Is.Empty, "a run the API just sent is not sent again");
            Assert.That(first.Select(d => (d.RunId, d.Reason)), Is.EqualTo(new[] { (run.RunId, "pending") }));
            Assert.That(again, Is.Empty, "dispatched_at holds the next send back for a period");
            Assert.That(second.Single().MessageId, Is.EqualTo(first.Single().MessageId), "same run, same state, same message id");
            Assert.That((await harness.LoadRunAsync(run.RunId)).DispatchedAt, Is.Not.Null);
        }
    }

    [Test]
    public async Task Should_send_a_running_run_again_once_its_lease_expired()
    {
        var run = await harness.InsertRunAsync("worker died");
        await using var context = harness.Database.CreateContext();
        var store = new RunLifecycle(context, harness.Clock);
        var claim = await store.ClaimAsync(run.RunId, "dead-worker", TimeSpan.FromSeconds(10), takeOver: false, CancellationToken.None);

        var live = await SweepAsync(run);
        harness.Clock.Advance(TimeSpan.FromSeconds(11));
        var expired = await SweepAsync(run);
        var again = await SweepAsync(run);
        var takeover = await store.ClaimAsync(run.RunId, "worker-b", TimeSpan.FromSeconds(10), takeOver: false, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(live, Is.Empty, "a live lease is left alone");
            Assert.That(expired.Select(d => (d.RunId, d.Reason, d.Epoch)), Is.EqualTo(new[] { (run.RunId, "lease-expired", claim.Epoch) }));
            Assert.That(again, Is.Empty);
            Assert.That(takeover.Outcome, Is.EqualTo(RunClaimOutcome.Claimed), "the swept message's fresh delivery may take the expired lease");
            Assert.That(takeover.Epoch, Is.EqualTo(claim.Epoch + 1));
        }
    }

    [Test]
    public async Task Should_send_a_parked_run_when_its_retry_is_due_and_refuse_an_early_claim()
    {
        var run = await harness.InsertRunAsync("provider outage");
        await using var context = harness.Database.CreateContext();
        var store = new RunLifecycle(context, harness.Clock);
        var claim = await store.ClaimAsync(run.RunId, "worker-a", TimeSpan.FromSeconds(10), takeOver: false, CancellationToken.None);
        var parked = await store.CommitStepAsync(
            new RunStepCommit
            {
                RunId = run.RunId,
                Epoch = claim.Epoch,
                Events = [("status", """{"status":"pending"}""")],
                RetryAt = harness.Clock.GetUtcNow() + TimeSpan.FromSeconds(30),
                Error = """{"error":"HttpRequestException","message":"503"}""",
            },
            CancellationToken.None);

        var early = await SweepAsync(run);
        var earlyClaim = await store.ClaimAsync(run.RunId, "worker-b", TimeSpan.FromSeconds(10), takeOver: true, CancellationToken.None);
        harness.Clock.Advance(TimeSpan.FromSeconds(31));
        var due = await SweepAsync(run);
        var row = await harness.LoadRunAsync(run.RunId);
        var resumed = await store.ClaimAsync(run.RunId, "worker-b", TimeSpan.FromSeconds(10), takeOver: false, CancellationToken.None);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(parked, Is.Not.Null);
            Assert.That(row.Status, Is.EqualTo(AgentRunStatus.Pending));
            Assert.That(row.RetryCount, Is.EqualTo(1));
            Assert.That(row.LeaseOwner, Is.Null);
            Assert.That(row.Error, Does.Contain("503"));
            Assert.That(early, Is.Empty);
            Assert.That(earlyClaim.Outcome, Is.EqualTo(RunClaimOutcome.NotDue));
            Assert.That(due.Select(d => (d.RunId, d.Reason)), Is.EqualTo(new[] { (run.RunId, "retry-due") }), "due at once, no republish delay");
            Assert.That(resumed.Outcome, Is.EqualTo(RunClaimOutcome.Claimed));
            Assert.That((await harness.LoadRunAsync(run.RunId)).NextAttemptAt, Is.Null);
        }
    }

    [Test]
    public async Task Should_leave_a_run_queued_behind_its_threads_running_run_alone()
    {
        var first = await harness.InsertRunAsync("first");
        var second = await harness.InsertRunAsync("second", first.ThreadId, harness.Clock.GetUtcNow() + TimeSpan.FromMilliseconds(1));
        var run = second;
        await using var context = harness.Database.CreateContext();
        var store = new RunLifecycle(context, harness.Clock);
        await store.ClaimAsync(first.RunId, "worker-a", TimeSpan.FromHours(1), takeOver: false, CancellationToken.None);
        harness.Clock.Advance(RepublishAfter + TimeSpan.FromSeconds(1));

        var due = await SweepAsync(run);

        Assert.That(due.Select(d => d.RunId), Does.Not.Contain(second.RunId));
    }

    [Test]
    public async Task Should_skip_the_sweep_while_another_worker_holds_the_sweeper_lock()
    {
        var run = await harness.InsertRunAsync("lost publish");
        harness.Clock.Advance(RepublishAfter + TimeSpan.FromSeconds(1));
        await using var other = await harness.Database.DataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var lockCommand = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({RunLifecycle.SweeperLockKey})", other, transaction))
        {
            await lockCommand.ExecuteNonQueryAsync();
        }

        await using var context = harness.Database.CreateContext();
        var skipped = await new RunLifecycle(context, harness.Clock).SweepAsync(RepublishAfter, 100, (_, _) => Task.CompletedTask, CancellationToken.None);
        await transaction.RollbackAsync();
        var swept = await SweepAsync(run);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(skipped, Is.Null);
            Assert.That(swept.Select(d => d.RunId), Is.EqualTo(new[] { run.RunId }));
        }
    }

    [Test]
    public async Task Should_roll_back_a_sweep_whose_dispatch_failed_so_the_next_one_sends_again()
    {
        var run = await harness.InsertRunAsync("broker down");
        harness.Clock.Advance(RepublishAfter + TimeSpan.FromSeconds(1));
        await using (var context = harness.Database.CreateContext())
        {
            Assert.That(
                async () => await new RunLifecycle(context, harness.Clock).SweepAsync(
                    RepublishAfter, 100, (_, _) => throw new InvalidOperationException("broker unreachable"), CancellationToken.None),
                Throws.InvalidOperationException);
        }

        var retried = await SweepAsync(run);

        Assert.That(retried.Select(d => d.RunId), Is.EqualTo(new[] { run.RunId }));
    }

    // Other specs' runs share the database: each spec looks only at its own.
    private async Task<IReadOnlyList<DueRun>> SweepAsync(params AgentRun[] own)
    {
        await using var context = harness.Database.CreateContext();
        var sent = new List<DueRun>();
        var due = await new RunLifecycle(context, harness.Clock).SweepAsync(
            RepublishAfter,
            100,
            (runs, _) =>
            {
                sent.AddRange(runs);
                return Task.CompletedTask;
            },
            CancellationToken.None);
        Assert.That(due, Is.EqualTo(sent), "what is returned is what was dispatched");
        return due!.Where(d => own.Any(r => r.RunId == d.RunId)).ToList();
    }
}
