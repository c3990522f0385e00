namespace Agent.Tests.Infrastructure;

/// <summary>
/// Reads where the real servers the integration tests use are: PostgreSQL and RabbitMQ started by
/// <c>deploy/local/services.sh</c> (or any others named by the environment).
/// </summary>
internal static class TestEnvironment
{
    /// <summary>
    /// Gets the PostgreSQL connection string of a role allowed to create databases, without a database name.
    /// From <c>AGENT_TEST_POSTGRES</c>; default <c>Host=localhost;Username=agent;Password=agent</c>.
    /// </summary>
    public static string PostgresServer { get; } =
        Environment.GetEnvironmentVariable("AGENT_TEST_POSTGRES") ?? "Host=localhost;Username=agent;Password=agent";

    /// <summary>
    /// Gets the RabbitMQ URI. From <c>AGENT_TEST_RABBITMQ</c>; default <c>amqp://guest:guest@localhost:5672/</c>.
    /// </summary>
    public static string RabbitMqUri { get; } =
        Environment.GetEnvironmentVariable("AGENT_TEST_RABBITMQ") ?? "amqp://guest:guest@localhost:5672/";

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
