using Agent.Persistence.Connections;
using Agent.Tests.Infrastructure;
using Npgsql;

namespace Agent.Tests.Persistence;

[TestFixture]
[Category("Integration")]
public sealed class When_the_database_fails
{
    [Test]
    public async Task Should_call_an_exhausted_pool_transient()
    {
        var builder = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer) { Database = "postgres", MaxPoolSize = 1, Timeout = 1 };
        await using var source = NpgsqlDataSource.Create(builder.ConnectionString);
        await using var held = await source.OpenConnectionAsync();

        var error = Assert.CatchAsync(async () => await source.OpenConnectionAsync());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(TransientDatabaseFailure.IsTransient(error!), Is.True, error!.ToString());
            Assert.That(TransientDatabaseFailure.IsBrokenConnection(error!), Is.False, "the pool is fine, only busy");
        }
    }

    [Test]
    public async Task Should_call_a_cut_connection_broken_and_a_bad_query_neither()
    {
        var builder = new NpgsqlConnectionStringBuilder(TestEnvironment.PostgresServer) { Database = "postgres", Pooling = false };
        await using var victim = new NpgsqlConnection(builder.ConnectionString);
        await victim.OpenAsync();
        await using (var admin = new NpgsqlConnection(builder.ConnectionString))
        {
            await admin.OpenAsync();
            await using var kill = new NpgsqlCommand($"SELECT pg_terminate_backend({victim.ProcessID})", admin);
            await kill.ExecuteScalarAsync();
        }

        await using var afterCut = new NpgsqlCommand("SELECT 1", victim);
        var cut = Assert.CatchAsync(async () => await afterCut.ExecuteScalarAsync());
        await using var healthy = new NpgsqlConnection(builder.ConnectionString);
        await healthy.OpenAsync();
        await using var badQuery = new NpgsqlCommand("SELECT * FROM no_such_table", healthy);
        var bad = Assert.CatchAsync(async () => await badQuery.ExecuteScalarAsync());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(TransientDatabaseFailure.IsBrokenConnection(cut!), Is.True, cut!.ToString());
            Assert.That(TransientDatabaseFailure.IsTransient(cut!), Is.True);
            Assert.That(TransientDatabaseFailure.IsTransient(bad!), Is.False, bad!.ToString());
            Assert.That(TransientDatabaseFailure.IsBrokenConnection(bad!), Is.False);
        }
    }

    [TestCase(100, 10, 4, 22)]
    [TestCase(100, 10, 17, 5)]
    [TestCase(600, 10, 7, 84)]
    [TestCase(20, 10, 50, ConnectionBudget.MinimumPoolSize)]
    public void Should_size_the_pool_from_the_connection_budget(int maxConnections, int reserved, int processes, int expected)
    {
        var budget = new ConnectionBudget { MaxConnections = maxConnections, ReservedConnections = reserved, Processes = processes }.Validate();

        var pooled = new NpgsqlConnectionStringBuilder(budget.Apply("Host=db;Username=agent"));
        var explicitSize = new NpgsqlConnectionStringBuilder(budget.Apply("Host=db;Username=agent;Maximum Pool Size=7"));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(pooled.MaxPoolSize, Is.EqualTo(expected));
            Assert.That(explicitSize.MaxPoolSize, Is.EqualTo(7), "a size written in the connection string wins");
        }
    }
}
