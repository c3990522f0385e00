using Agent.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Agent.Tests.Infrastructure;

/// <summary>
/// A freshly created and migrated PostgreSQL database, dropped on dispose. Create one per fixture.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly ServiceProvider services;
    private string server = TestEnvironment.PostgresServer;

    private TestDatabase(string name, string connectionString)
    {
        Name = name;
        ConnectionString = connectionString;
        services = new ServiceCollection().AddAgentPersistence(connectionString).BuildServiceProvider();
    }

    /// <summary>Gets the database name.</summary>
    public string Name { get; }

    /// <summary>Gets the connection string of the database.</summary>
    public string ConnectionString { get; }

    /// <summary>Gets the data source of the database.</summary>
    public NpgsqlDataSource DataSource => services.GetRequiredService<NpgsqlDataSource>();

    /// <summary>Gets the context factory the stores use (unscoped contexts, as in the worker).</summary>
    public IDbContextFactory<AgentDbContext> ContextFactory => services.GetRequiredService<IDbContextFactory<AgentDbContext>>();

    /// <summary>Creates a uniquely named database and applies every migration to it.</summary>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The database.</returns>
    public static Task<TestDatabase> CreateAsync(CancellationToken cancellationToken = default) =>
        CreateAsync(TestEnvironment.PostgresServer, cancellationToken);

    /// <summary>Creates a uniquely named database on a given server and applies every migration to it.</summary>
    /// <param name="server">The server's connection string, without a database name (e.g. a private instance).</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The database.</returns>
    public static async Task<TestDatabase> CreateAsync(string server, CancellationToken cancellationToken = default)
    {
        var database = CreateUnmigrated(server);
        await using var context = database.CreateContext();
        await context.Database.MigrateAsync(cancellationToken);
        return database;
    }

    /// <summary>
    /// Names a unique database without creating it; the first migration (or <see cref="CreateEmptyOnServerAsync"/>) creates it.
    /// </summary>
    /// <returns>The database, still absent on the server.</returns>
    public static TestDatabase CreateUnmigrated() => CreateUnmigrated(TestEnvironment.PostgresServer);

    /// <summary>Creates the database on the server, empty.</summary>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>A task that completes when the database exists.</returns>
    public async Task CreateEmptyOnServerAsync(CancellationToken cancellationToken = default)
    {
        await using var context = CreateContext();
        await context.GetService<IRelationalDatabaseCreator>().CreateAsync(cancellationToken);
    }

    private static TestDatabase CreateUnmigrated(string server)
    {
        var name = "agent_test_" + Guid.NewGuid().ToString("N")[..12];
        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new TestDatabase(name, builder.ConnectionString) { server = server };
    }

    /// <summary>Creates a context on the database; the caller disposes it.</summary>
    /// <param name="tenantId">The tenant the context is scoped to; null (the default) sees every tenant, as the worker does.</param>
    /// <returns>A new context.</returns>
    public AgentDbContext CreateContext(string? tenantId = null)
    {
        var builder = new DbContextOptionsBuilder<AgentDbContext>();
        builder.UseAgentDatabase(DataSource);
        var options = builder.Options;
        return new AgentDbContext(options) { TenantId = tenantId };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        var admin = new NpgsqlConnectionStringBuilder(server) { Database = "postgres" };
        await using var connection = new NpgsqlConnection(admin.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{Name}\" WITH (FORCE)", connection);
        // An autovacuum worker in the database (a busy one, e.g. after a benchmark) makes PostgreSQL 15's FORCE refuse
        // for a non-superuser (TerminateOtherDBBackends): InsufficientPrivilege. It is done within moments.
        await Poll.UntilAsync(
            async () => await command.ExecuteNonQueryAsync(),
            _ => true,
            TimeSpan.FromSeconds(30),
            retryOn: ex => ex is PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege });
    }
}
