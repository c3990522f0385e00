using Agent.Persistence;
using Agent.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Agent.Tests.Persistence;

[TestFixture]
public sealed class When_the_model_is_compared_with_the_migrations
{
    [Test]
    public void Should_have_no_pending_model_changes()
    {
        var options = new DbContextOptionsBuilder<AgentDbContext>()
            .UseNpgsql(TestEnvironment.PostgresServer + ";Database=unused").Options;
        using var context = new AgentDbContext(options);

        Assert.That(context.Database.HasPendingModelChanges(), Is.False,
            "The model differs from Migrations/AgentDbContextModelSnapshot.cs: write a migration and update the snapshot.");
    }
}

[TestFixture]
[Category("Integration")]
public sealed class When_the_migrations_are_applied_to_an_empty_database
{
    [Test]
    public async Task Should_create_every_table_of_the_model()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var context = database.CreateContext();
        var expected = context.Model.GetEntityTypes().Select(e => e.GetTableName()).Order().ToList();

        await using var command = database.DataSource.CreateCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'agent' AND table_type = 'BASE TABLE' ORDER BY table_name");
        var actual = new List<string?>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                actual.Add(reader.GetString(0));
            }
        }

        Assert.That(actual, Is.EqualTo(expected.Append("__EFMigrationsHistory").Order()));
    }
}

[TestFixture]
[Category("Integration")]
public sealed class When_a_database_made_by_the_migrations_of_2026_12_04_is_migrated
{
    // `dotnet ef migrations script` of main's migrations on 2026-12-04, frozen: what an existing deployment's database
    // holds. Never regenerate it; a later baseline gets a file of its own.
    private const string Baseline = "20261121140000_ProviderRateLimits";

    [Test]
    public async Task Should_apply_only_the_newer_migrations_and_keep_the_rows_it_had()
    {
        await using var upgraded = TestDatabase.CreateUnmigrated();
        await upgraded.CreateEmptyOnServerAsync();
        var script = await File.ReadAllTextAsync(
            Path.Combine(TestEnvironment.RepositoryRoot, "Agent.Tests", "Persistence", "Baselines", Baseline + ".sql"));
        await using (var command = upgraded.DataSource.CreateCommand(script))
        {
            await command.ExecuteNonQueryAsync();
        }

        var threadId = Guid.NewGuid();
        await using (var command = upgraded.DataSource.CreateCommand("""
            INSERT INTO agent.threads (tenant_id, thread_id, metadata, status, created_at, updated_at)
            VALUES ('acme', $1, '{"topic":"vacuum"}', 'idle', now(), now())
            """))
        {
            command.Parameters.AddWithValue(threadId);
            await command.ExecuteNonQueryAsync();
        }

        IReadOnlyList<string> applied;
        await using (var context = upgraded.CreateContext())
        {
            applied = await new AgentDatabaseMigrator(context, TimeProvider.System).MigrateAsync(CancellationToken.None);
        }

        await using var after = upgraded.CreateContext();
        var all = after.Database.GetMigrations().ToList();
        var thread = await after.Threads.SingleAsync(t => t.ThreadId == threadId);
        await using var fresh = await TestDatabase.CreateAsync();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(applied, Is.EqualTo(all.SkipWhile(id => string.CompareOrdinal(id, Baseline) <= 0)),
                "Only migrations newer than the baseline run on an existing database.");
            Assert.That(await after.Database.GetPendingMigrationsAsync(), Is.Empty);
            Assert.That(thread.TenantId, Is.EqualTo("acme"));
            Assert.That(thread.Metadata, Does.Contain("vacuum"));
            Assert.That(await ColumnsAsync(upgraded), Is.EqualTo(await ColumnsAsync(fresh)),
                "An upgraded database has the same columns as one migrated from empty.");
        }
    }

    private static async Task<List<string>> ColumnsAsync(TestDatabase database)
    {
        await using var command = database.DataSource.CreateCommand("""
            SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
            FROM information_schema.columns WHERE table_schema = 'agent' ORDER BY table_name, column_name
            """);
        var columns = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns.Add(reader.GetString(0));
        }

        return columns;
    }
}
