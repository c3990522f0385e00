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
