using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Crons;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Agent.Tests.Infrastructure;
using Agent.Worker.Crons;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Agent.Tests.Crons;

[TestFixture]
[Category("Integration")]
public sealed class When_workers_fire_a_due_cron_at_the_same_time
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
    public async Task Should_fire_the_tick_exactly_once_and_move_to_the_next_tick()
    {
        await InsertDueCronAsync();
        Cron cron;
        await using (var reader = database.CreateContext())
        {
            // As the scheduler does: the tick is read back from the database (its next_run_date is the claim token).
            cron = (await Firer(reader).FindDueAsync(10, CancellationToken.None))
                .Single(c => c.TenantId == "tenant-c");
        }

        // Eight "workers", each with its own connection, fire the same tick at once.
        var fired = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var context = database.CreateContext();
            var firer = Firer(context);
            return await firer.FireAsync(cron, CancellationToken.None);
        }));

        await using var check = database.CreateContext();
        var runs = await check.Runs.AsNoTracking().Where(r => r.TenantId == "tenant-c").ToListAsync();
        var stored = await check.Crons.AsNoTracking().SingleAsync(c => c.CronId == cron.CronId);
        var thread = await check.Threads.AsNoTracking().SingleAsync(t => t.ThreadId == runs[0].ThreadId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fired.Count(r => r is not null), Is.EqualTo(1));
            Assert.That(runs, Has.Count.EqualTo(1));
            Assert.That(runs[0].DeleteThreadOnCompletion, Is.True, "a stateless cron's thread goes after its run (on_run_completed=delete)");
            Assert.That(JsonNode.Parse(runs[0].Kwargs)!["input"]!["messages"]![0]!["id"]!.GetValue<string>(), Is.Not.EqualTo("fixed-id"),
                "each firing gives its messages fresh ids");
            Assert.That(JsonNode.Parse(thread.Metadata)!["cron_id"]!.GetValue<string>(), Is.EqualTo(cron.CronId.ToString()));
            Assert.That(stored.NextRunDate, Is.GreaterThan(cron.NextRunDate!.Value));
        }
    }

    [Test]
    public async Task Should_leave_the_tick_due_while_the_tenant_is_at_its_run_limit()
    {
        // Tenant "tenant-l" may have one run at once, and has one pending.
        var existing = await InsertDueCronAsync("tenant-l");
        await using (var context = database.CreateContext())
        {
            var thread = new AgentThread { TenantId = "tenant-l", ThreadId = Guid.CreateVersion7(), CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow };
            context.Threads.Add(thread);
            context.Runs.Add(new AgentRun
            {
                RunId = Guid.CreateVersion7(),
                TenantId = "tenant-l",
                ThreadId = thread.ThreadId,
                AssistantId = existing.AssistantId,
                Status = AgentRunStatus.Pending,
                CreatedAt = DateTimeOffset.UtcNow,
                UpdatedAt = DateTimeOffset.UtcNow,
            });
            await context.SaveChangesAsync();
        }

        Cron cron;
        AgentRun? atLimit;
        await using (var context = database.CreateContext())
        {
            var firer = Firer(context, maxConcurrentRuns: 1);
            cron = (await firer.FindDueAsync(10, CancellationToken.None)).Single(c => c.TenantId == "tenant-l");
            atLimit = await firer.FireAsync(cron, CancellationToken.None);
        }

        await using (var check = database.CreateContext())
        {
            var stored = await check.Crons.AsNoTracking().SingleAsync(c => c.CronId == cron.CronId);
            var runs = await check.Runs.AsNoTracking().CountAsync(r => r.TenantId == "tenant-l");
            using (Assert.EnterMultipleScope())
            {
                Assert.That(atLimit, Is.Null, "a cron-fired run obeys the tenant's concurrent-run limit");
                Assert.That(runs, Is.EqualTo(1));
                Assert.That(stored.NextRunDate, Is.EqualTo(cron.NextRunDate), "the refused tick stays due");
            }

            // The tenant's run ends: the tick fires now.
            await check.Runs.Where(r => r.TenantId == "tenant-l").ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, AgentRunStatus.Success));
        }

        await using (var context = database.CreateContext())
        {
            var fired = await Firer(context, maxConcurrentRuns: 1).FireAsync(cron, CancellationToken.None);
            Assert.That(fired, Is.Not.Null);
        }
    }

    [TestCase("interrupt", AgentRunStatus.Interrupted)]
    [TestCase("rollback", null)]
    public async Task Should_stop_the_threads_unfinished_run_when_the_crons_strategy_says_so(string strategy, AgentRunStatus? oldStatus)
    {
        var tenant = "tenant-" + strategy;
        var threadId = Guid.CreateVersion7();
        var oldRunId = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        await using (var setup = database.CreateContext())
        {
            setup.Threads.Add(new AgentThread { TenantId = tenant, ThreadId = threadId, Status = AgentThreadStatus.Busy, CreatedAt = now, UpdatedAt = now });
            setup.Runs.Add(new AgentRun
            {
                RunId = oldRunId, TenantId = tenant, ThreadId = threadId, AssistantId = SystemAssistants.IdFor(SystemAssistants.AgentGraphId),
                Status = AgentRunStatus.Pending, CreatedAt = now, UpdatedAt = now,
            });
            await setup.SaveChangesAsync();
        }

        var cron = await InsertDueCronAsync(tenant, threadId, strategy);
        AgentRun? fired;
        await using (var context = database.CreateContext())
        {
            fired = await Firer(context).FireAsync(cron, CancellationToken.None);
        }

        await using var check = database.CreateContext();
        var old = await check.Runs.AsNoTracking().SingleOrDefaultAsync(r => r.RunId == oldRunId);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(fired, Is.Not.Null, "the tick ran on the busy thread");
            Assert.That(old?.Status, Is.EqualTo(oldStatus), "interrupt ends the unfinished run, rollback deletes it");
        }
    }

    private static CronFirer Firer(AgentDbContext context, int maxConcurrentRuns = 0) =>
        new(
            new CronStore(context),
            new RunLifecycle(context, TimeProvider.System),
            Options.Create(new RunLimits { MaxConcurrentRunsPerTenant = maxConcurrentRuns }),
            TimeProvider.System,
            NullLogger<CronFirer>.Instance);

    private async Task<Cron> InsertDueCronAsync(string tenantId = "tenant-c", Guid? threadId = null, string strategy = "enqueue")
    {
        await using var context = database.CreateContext();
        var payload = new JsonObject
        {
            ["kwargs"] = new JsonObject
            {
                ["input"] = new JsonObject
                {
                    ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = "What does VACUUM do?", ["id"] = "fixed-id" }),
                },
            },
            ["metadata"] = new JsonObject(),
            ["recursion_limit"] = 25,
            ["multitask_strategy"] = strategy,
        };
        var cron = new Cron
        {
            CronId = Guid.CreateVersion7(),
            TenantId = tenantId,
            ThreadId = threadId,
            AssistantId = SystemAssistants.IdFor(SystemAssistants.AgentGraphId),
            Schedule = "*/5 * * * *",
            Payload = payload.ToJsonString(),
            NextRunDate = DateTimeOffset.UtcNow.AddSeconds(-1),
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        context.Crons.Add(cron);
        await context.SaveChangesAsync();
        return cron;
    }
}
