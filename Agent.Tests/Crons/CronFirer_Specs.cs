using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Crons;
using Agent.Tests.Infrastructure;
using Agent.Worker.Crons;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

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
            cron = (await new CronFirer(reader, TimeProvider.System, NullLogger<CronFirer>.Instance).FindDueAsync(10, CancellationToken.None))
                .Single(c => c.TenantId == "tenant-c");
        }

        // Eight "workers", each with its own connection, fire the same tick at once.
        var fired = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            await using var context = database.CreateContext();
            var firer = new CronFirer(context, TimeProvider.System, NullLogger<CronFirer>.Instance);
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

    private async Task InsertDueCronAsync()
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
            ["multitask_strategy"] = "enqueue",
        };
        var cron = new Cron
        {
            CronId = Guid.CreateVersion7(),
            TenantId = "tenant-c",
            AssistantId = SystemAssistants.IdFor(SystemAssistants.AgentGraphId),
            Schedule = "*/5 * * * *",
            Payload = payload.ToJsonString(),
            NextRunDate = DateTimeOffset.UtcNow.AddSeconds(-1),
            CreatedAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        context.Crons.Add(cron);
        await context.SaveChangesAsync();
    }
}
