namespace Agent.Tests.Infrastructure;

/// <summary>
/// Tells the tests where the real servers they use are: PostgreSQL and RabbitMQ as <see cref="TestServers"/> decided
/// (named by the environment, started in containers, or the localhost defaults that <c>deploy/local/services.sh</c>
/// starts).
/// </summary>
internal static class TestEnvironment
{
    /// <summary>
    /// Gets the PostgreSQL connection string of a role allowed to create databases, without a database name.
    /// <c>AGENT_TEST_POSTGRES</c> when set; else a container, when a Docker engine answers; else
    /// <c>Host=localhost;Username=agent;Password=agent</c>.
    /// </summary>
    public static string PostgresServer => TestServers.Postgres;

    /// <summary>
    /// Gets the RabbitMQ URI. <c>AGENT_TEST_RABBITMQ</c> when set; else a container, when a Docker engine answers; else
    /// <c>amqp://guest:guest@localhost:5672/</c>.
    /// </summary>
    public static string RabbitMqUri => TestServers.RabbitMq;

    /// <summary>Gets the repository root (the folder holding Agent.sln).</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string FindRepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Agent.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Agent.sln not found above " + AppContext.BaseDirectory);
    }
}
