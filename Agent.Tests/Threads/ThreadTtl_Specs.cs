using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Agent.Tests.Threads;

[TestFixture]
[Category("Integration")]
public sealed class When_a_threads_ttl_has_passed
{
    private TestDatabase database = null!;

    [OneTimeSetUp]
    public async Task MigrateAsync()
    {
        database = await TestDatabase.CreateAsync();
        await using var context = database.CreateContext();
        await new AgentDatabaseMigrator(context, TimeProvider.System).MigrateAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task DropAsync() => await database.DisposeAsync();

    [Test]
    public async Task Should_delete_it_with_its_runs_and_checkpoints_unless_it_is_busy_or_still_fresh()
    {
        var now = DateTimeOffset.UtcNow;
        var expired = await InsertThreadAsync(ttlMinutes: 1, idleFor: TimeSpan.FromMinutes(2), runStatus: AgentRunStatus.Success);
        var busy = await InsertThreadAsync(ttlMinutes: 1, idleFor: TimeSpan.FromMinutes(2), runStatus: AgentRunStatus.Running);
        var fresh = await InsertThreadAsync(ttlMinutes: 10, idleFor: TimeSpan.FromMinutes(2), runStatus: AgentRunStatus.Success);
        var forever = await InsertThreadAsync(ttlMinutes: null, idleFor: TimeSpan.FromDays(30), runStatus: AgentRunStatus.Success);

        int deleted;
        await using (var context = database.CreateContext())
        {
            deleted = await new RunLifecycle(context, TimeProvider.System).DeleteExpiredThreadsAsync(50, CancellationToken.None);
        }

        await using var check = database.CreateContext();
        var left = await check.Threads.AsNoTracking().Select(t => t.ThreadId).ToListAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted, Is.EqualTo(1));
            Assert.That(left, Does.Not.Contain(expired));
            Assert.That(left, Is.SupersetOf(new[] { busy, fresh, forever }));
            Assert.That(await check.Runs.AnyAsync(r => r.ThreadId == expired), Is.False, "its runs went with it");
            Assert.That(await check.Checkpoints.AnyAsync(c => c.ThreadId == expired), Is.False, "its checkpoints went with it");
            Assert.That(await check.Checkpoints.AnyAsync(c => c.ThreadId == busy), Is.True);
        }
    }

    private async Task<Guid> InsertThreadAsync(int? ttlMinutes, TimeSpan idleFor, AgentRunStatus runStatus)
    {
        await using var context = database.CreateContext();
        var at = DateTimeOffset.UtcNow - idleFor;
        var threadId = Guid.CreateVersion7();
        var runId = Guid.CreateVersion7();
        context.Threads.Add(new AgentThread { TenantId = "tenant-ttl", ThreadId = threadId, CreatedAt = at, UpdatedAt = at, TtlMinutes = ttlMinutes });
        context.Runs.Add(new AgentRun
        {
            RunId = runId, TenantId = "tenant-ttl", ThreadId = threadId, AssistantId = SystemAssistants.IdFor(SystemAssistants.AgentGraphId),
            Status = runStatus, CreatedAt = at, UpdatedAt = at,
        });
        context.Checkpoints.Add(new Checkpoint
        {
            CheckpointId = Guid.CreateVersion7(), TenantId = "tenant-ttl", ThreadId = threadId, RunId = runId, Step = 0, Node = "__start__",
            Delta = """{"messages":[]}""", CreatedAt = at,
        });
        await context.SaveChangesAsync();
        return threadId;
    }
}
