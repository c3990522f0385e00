using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Agent.Telemetry.Health;

/// <summary>
/// Readiness of PostgreSQL: opens a connection from the process's <see cref="NpgsqlDataSource"/> and runs
/// <c>SELECT 1</c>. Unreachable, refused or timed out (5 s, or the probe's own timeout) reads as Unhealthy.
/// </summary>
/// <param name="dataSource">The data source registered by <c>AddAgentPersistence</c>.</param>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    /// <summary>The check's name in health reports: <c>postgresql</c>.</summary>
    public const string Name = "postgresql";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(deadline.Token);
            return HealthCheckResult.Healthy("SELECT 1 answered.");
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            // The message names the host and port Npgsql tried, never the password.
            return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL is unreachable: " + ex.Message);
        }
    }
}
