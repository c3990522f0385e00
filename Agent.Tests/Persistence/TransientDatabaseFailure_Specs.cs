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

    [Test]
    public async Task Should_call_a_prepared_statement_a_migration_made_stale_transient_and_the_next_attempt_succeeds()
    {
        var builder = new NpgsqlConnectionStringBuilder(StatementPreparation.Apply(TestEnvironment.PostgresServer)) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TEMP TABLE scratch (id int, status varchar(32)); INSERT INTO scratch VALUES (1, 'busy')", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        async Task<object?> ReadAsync()
        {
            await using var read = new NpgsqlCommand("SELECT status FROM scratch WHERE id = 1", connection);
            return await read.ExecuteScalarAsync();
        }

        // Sent MinUsages + 1 times, the statement is prepared on this connection; then a migration changes the type
        // of the column it returns, as one applied under a running API may.
        for (var i = 0; i <= StatementPreparation.MinUsages; i++)
        {
            await ReadAsync();
        }

        await using (var alter = new NpgsqlCommand("ALTER TABLE scratch ALTER COLUMN status TYPE text", connection))
        {
            await alter.ExecuteNonQueryAsync();
        }

        var stale = Assert.CatchAsync(ReadAsync);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(TransientDatabaseFailure.IsTransient(stale!), Is.True, stale!.ToString());
            Assert.That(TransientDatabaseFailure.IsBrokenConnection(stale!), Is.False, "the connection is fine");
            Assert.That(await ReadAsync(), Is.EqualTo("busy"), "sent again, the statement is prepared afresh");
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
