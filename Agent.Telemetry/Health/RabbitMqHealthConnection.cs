using RabbitMQ.Client;

namespace Agent.Telemetry.Health;

/// <summary>
/// The one RabbitMQ connection the <c>rabbitmq</c> readiness check opens its channels on. RabbitMQ connections are
/// meant to be long-lived, and the health check's factory is called on every probe, so it is opened once and reopened
/// only after it closed (a broker restart): automatic recovery is off, so a probe during an outage fails at once.
/// </summary>
/// <param name="uri">The RabbitMQ URI.</param>
internal sealed class RabbitMqHealthConnection(Uri uri) : IAsyncDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private IConnection? connection;

    /// <summary>Returns the open connection, opening a new one when there is none.</summary>
    /// <returns>The connection.</returns>
    /// <exception cref="RabbitMQ.Client.Exceptions.BrokerUnreachableException">The broker cannot be reached.</exception>
    public async Task<IConnection> GetAsync()
    {
        await gate.WaitAsync();
        try
        {
            if (connection is { IsOpen: true })
            {
                return connection;
            }

            if (connection is not null)
            {
                await connection.DisposeAsync();
                connection = null;
            }

            var factory = new ConnectionFactory
            {
                Uri = uri,
                ClientProvidedName = "agent-health",
                AutomaticRecoveryEnabled = false,
                RequestedConnectionTimeout = AgentHealthChecks.CheckTimeout,
            };
            connection = await factory.CreateConnectionAsync();
            return connection;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }

        gate.Dispose();
    }
}
