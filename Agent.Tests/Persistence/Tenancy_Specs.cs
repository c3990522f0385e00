using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Agent.Tests.Persistence;

[TestFixture]
[Category("Integration")]
public sealed class When_two_tenants_use_the_same_database
{
    private TestDatabase database = null!;

    [OneTimeSetUp]
    public async Task Migrate()
    {
        database = await TestDatabase.CreateAsync();
        await using var context = database.CreateContext();
        await new AgentDatabaseMigrator(context, TimeProvider.System).MigrateAsync(CancellationToken.None);
    }

    [OneTimeTearDown]
    public async Task Drop() => await database.DisposeAsync();

    [Test]
    public async Task Should_let_each_tenant_choose_the_same_thread_id_and_see_only_its_own()
    {
        var threadId = Guid.NewGuid();
        await AddThreadAsync("tenant-a", threadId, """{"owner":"a"}""");
        await AddThreadAsync("tenant-b", threadId, """{"owner":"b"}""");

        await using var a = database.CreateContext("tenant-a");
        await using var b = database.CreateContext("tenant-b");
        await Assert.MultipleAsync(async () =>
        {
            Assert.That((await a.Threads.SingleAsync(t => t.ThreadId == threadId)).Metadata, Does.Contain("\"a\""));
            Assert.That((await b.Threads.SingleAsync(t => t.ThreadId == threadId)).Metadata, Does.Contain("\"b\""));
        });
    }

    [Test]
    public async Task Should_hide_and_protect_another_tenants_runs()
    {
        var threadId = Guid.NewGuid();
        var runId = await AddThreadAsync("tenant-a", threadId, "{}");

        await using (var b = database.CreateContext("tenant-b"))
        {
            Assert.That(await b.Runs.AnyAsync(r => r.RunId == runId), Is.False, "tenant-b must not see tenant-a's run");
            var deleted = await b.Threads.Where(t => t.ThreadId == threadId).ExecuteDeleteAsync();
            Assert.That(deleted, Is.Zero, "tenant-b must not delete tenant-a's thread");
        }

        await using var a = database.CreateContext("tenant-a");
        Assert.That(await a.Runs.AnyAsync(r => r.RunId == runId), Is.True);
    }

    [Test]
    public async Task Should_fail_closed_when_the_tenant_is_unresolved()
    {
        var threadId = Guid.NewGuid();
        await AddThreadAsync("tenant-a", threadId, "{}");
        await using var unresolved = database.CreateContext(AgentTenants.Unresolved);

        Assert.That(await unresolved.Threads.AnyAsync(), Is.False, "an unresolved caller must see no thread");
        var now = DateTimeOffset.UtcNow;
        unresolved.Threads.Add(new AgentThread { ThreadId = Guid.NewGuid(), CreatedAt = now, UpdatedAt = now });
        Assert.ThrowsAsync<InvalidOperationException>(() => unresolved.SaveChangesAsync());
    }

    [Test]
    public async Task Should_share_the_system_assistant_with_every_tenant()
    {
        var id = SystemAssistants.IdFor("agent");
        foreach (var tenant in new[] { "tenant-a", "tenant-b" })
        {
            await using var context = database.CreateContext(tenant);
            Assert.That(await context.Assistants.AnyAsync(a => a.AssistantId == id), Is.True, tenant);
        }
    }

    private async Task<Guid> AddThreadAsync(string tenant, Guid threadId, string metadata)
    {
        await using var context = database.CreateContext(tenant);
        var now = DateTimeOffset.UtcNow;
        context.Threads.Add(new AgentThread { ThreadId = threadId, Metadata = metadata, CreatedAt = now, UpdatedAt = now });
        var run = new AgentRun
        {
            RunId = Guid.CreateVersion7(),
            ThreadId = threadId,
            AssistantId = SystemAssistants.IdFor("agent"),
            Status = AgentRunStatus.Pending,
            CreatedAt = now,
            UpdatedAt = now,
        };
        context.Runs.Add(run);
        await context.SaveChangesAsync();
        return run.RunId;
    }
}
