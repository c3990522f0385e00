using System.Net.Sockets;
using DotNet.Testcontainers.Containers;
using Npgsql;
using Testcontainers.PostgreSql;
using Testcontainers.RabbitMq;

namespace Agent.Tests.Infrastructure;

/// <summary>Where a test server comes from.</summary>
internal enum TestServerSource
{
    /// <summary>The server named by the environment (<c>AGENT_TEST_POSTGRES</c>, <c>AGENT_TEST_RABBITMQ</c>).</summary>
    Environment,

    /// <summary>A container started for this test run (Testcontainers), because a Docker engine answered.</summary>
    Container,

    /// <summary>The local default, what <c>deploy/local/services.sh</c> starts.</summary>
    Localhost,
}

/// <summary>
/// Decides, once per test run, where the PostgreSQL and RabbitMQ servers of the integration tests come from, and
/// starts containers when that is the answer. The tests read only <see cref="TestEnvironment"/> and never know which.
/// </summary>
/// <remarks>
/// For each server: the one named by its environment variable when set (CI here sets both: deploy/local/test.sh, as
/// these machines run no Docker engine); otherwise a Testcontainers container when a Docker engine answers (a
/// developer's laptop); otherwise the localhost default. Started by <see cref="TestServersSetUp"/> before any test.
/// </remarks>
internal static class TestServers
{
    /// <summary>The PostgreSQL used when nothing else is: <c>deploy/local/services.sh</c>'s role.</summary>
    public const string LocalPostgres = "Host=localhost;Username=agent;Password=agent";

    /// <summary>The RabbitMQ used when nothing else is: the broker's default guest account.</summary>
    public const string LocalRabbitMq = "amqp://guest:guest@localhost:5672/";

    private static PostgreSqlContainer? postgresContainer;
    private static RabbitMqContainer? rabbitMqContainer;
    private static string? postgres;
    private static string? rabbitMq;

    /// <summary>Gets the PostgreSQL connection string (a role that may create databases), without a database name.</summary>
    /// <exception cref="InvalidOperationException">Read before <see cref="StartAsync"/> ran.</exception>
    public static string Postgres => postgres ?? throw NotStarted();

    /// <summary>Gets the RabbitMQ URI.</summary>
    /// <exception cref="InvalidOperationException">Read before <see cref="StartAsync"/> ran.</exception>
    public static string RabbitMq => rabbitMq ?? throw NotStarted();

    /// <summary>Gets where PostgreSQL came from.</summary>
    public static TestServerSource PostgresSource { get; private set; }

    /// <summary>Gets where RabbitMQ came from.</summary>
    public static TestServerSource RabbitMqSource { get; private set; }

    /// <summary>Decides where one server comes from: the rule, kept apart from any I/O so it can be tested.</summary>
    /// <param name="named">The server named by the environment, or null/blank when none is.</param>
    /// <param name="dockerAnswers">Whether a Docker engine answered (asked only when nothing is named).</param>
    /// <returns>The source.</returns>
    public static TestServerSource Choose(string? named, Func<bool> dockerAnswers) =>
        !string.IsNullOrWhiteSpace(named) ? TestServerSource.Environment
        : dockerAnswers() ? TestServerSource.Container
        : TestServerSource.Localhost;

    /// <summary>Decides both servers and starts the containers that the decision asks for.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when both servers are known (and any container is up).</returns>
    public static async Task StartAsync(CancellationToken cancellationToken)
    {
        var namedPostgres = Environment.GetEnvironmentVariable("AGENT_TEST_POSTGRES");
        var namedRabbitMq = Environment.GetEnvironmentVariable("AGENT_TEST_RABBITMQ");
        var docker = new Lazy<bool>(() => DockerEngine.Answers(TimeSpan.FromSeconds(2)));

        PostgresSource = Choose(namedPostgres, () => docker.Value);
        RabbitMqSource = Choose(namedRabbitMq, () => docker.Value);

        postgres = PostgresSource switch
        {
            TestServerSource.Environment => namedPostgres,
            TestServerSource.Container => await StartPostgresAsync(cancellationToken),
            _ => LocalPostgres,
        };
        rabbitMq = RabbitMqSource switch
        {
            TestServerSource.Environment => namedRabbitMq,
            TestServerSource.Container => await StartRabbitMqAsync(cancellationToken),
            _ => LocalRabbitMq,
        };
    }

    /// <summary>Stops the containers this run started, if any.</summary>
    /// <returns>A task that completes when they are gone.</returns>
    public static async Task StopAsync()
    {
        await DisposeAsync(postgresContainer);
        await DisposeAsync(rabbitMqContainer);
        postgresContainer = null;
        rabbitMqContainer = null;
    }

    private static async Task<string> StartPostgresAsync(CancellationToken cancellationToken)
    {
        // The tests create a database per fixture and run many at once: the same ceiling as services.sh's server.
        postgresContainer = new PostgreSqlBuilder("postgres:15")
            .WithUsername("agent")
            .WithPassword("agent")
            .WithCommand("-c", "max_connections=600")
            .Build();
        await postgresContainer.StartAsync(cancellationToken);
        return new NpgsqlConnectionStringBuilder(postgresContainer.GetConnectionString()) { Database = null }.ConnectionString;
    }

    private static async Task<string> StartRabbitMqAsync(CancellationToken cancellationToken)
    {
        rabbitMqContainer = new RabbitMqBuilder("rabbitmq:3.10-management").Build();
        await rabbitMqContainer.StartAsync(cancellationToken);
        return rabbitMqContainer.GetConnectionString();
    }

    private static async Task DisposeAsync(IContainer? container)
    {
        if (container is not null)
        {
            await container.DisposeAsync();
        }
    }

    private static InvalidOperationException NotStarted() =>
        new("The test servers are not decided yet: TestServersSetUp (an NUnit SetUpFixture) decides them before any test runs.");

    /// <summary>Asks the Docker engine for <c>/_ping</c> on <c>DOCKER_HOST</c> or the default Unix socket.</summary>
    private static class DockerEngine
    {
        public static bool Answers(TimeSpan timeout)
        {
            var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
            var socketPath = host is null ? "/var/run/docker.sock"
                : host.StartsWith("unix://", StringComparison.Ordinal) ? host["unix://".Length..]
                : null;
            try
            {
                using var handler = new SocketsHttpHandler();
                Uri ping;
                if (socketPath is not null)
                {
                    if (!File.Exists(socketPath))
                    {
                        return false;
                    }

                    handler.ConnectCallback = async (_, token) =>
                    {
                        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), token);
                        return new NetworkStream(socket, ownsSocket: true);
                    };
                    ping = new Uri("http://docker/_ping");
                }
                else
                {
                    ping = new Uri(host!.Replace("tcp://", "http://", StringComparison.Ordinal).TrimEnd('/') + "/_ping");
                }

                using var client = new HttpClient(handler) { Timeout = timeout };
                using var response = client.Send(new HttpRequestMessage(HttpMethod.Get, ping));
                return response.IsSuccessStatusCode;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or SocketException or IOException)
            {
                return false;
            }
        }
    }
}
