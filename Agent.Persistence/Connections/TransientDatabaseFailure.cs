using System.Net.Sockets;
using Npgsql;

namespace Agent.Persistence.Connections;

/// <summary>
/// Tells database failures that go away on their own (the server restarting, refusing connections, a broken pooled
/// connection, an exhausted pool) from faults of the request or the code. The API answers the former with 503 and
/// <c>Retry-After</c>; the connection interceptor clears the pool after a broken connection.
/// </summary>
/// <remarks>SQLSTATE classes from PostgreSQL's Appendix A (errcodes): 08 connection exception, 53 insufficient
/// resources, 57P01-57P03 the server shutting down or starting, 40001/40P01 serialization failure and deadlock; and
/// a prepared statement a migration made stale (<see cref="StatementPreparation.IsStalePlan"/>), which Npgsql has
/// dropped, so that the same statement sent again succeeds.</remarks>
public static class TransientDatabaseFailure
{
    /// <summary>Gets whether an exception, or one it wraps (EF wraps provider errors), is a transient database failure.</summary>
    /// <param name="exception">The exception.</param>
    /// <returns>True when retrying later can succeed unchanged.</returns>
    public static bool IsTransient(Exception exception) => StatementPreparation.IsStalePlan(exception) || Chain(exception).Any(e => e switch
    {
        PostgresException postgres => IsTransientState(postgres.SqlState),
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is TimeoutException or IOException or SocketException,
        _ => false,
    });

    /// <summary>
    /// Gets whether an exception says a pooled connection is dead (the server restarted or cut it): the other idle
    /// connections of the pool are most likely dead too, and nothing ran on this one.
    /// </summary>
    /// <param name="exception">The exception.</param>
    /// <returns>True for a broken connection.</returns>
    public static bool IsBrokenConnection(Exception exception) => Chain(exception).Any(e => e switch
    {
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                                      || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                                          or PostgresErrorCodes.CannotConnectNow,
        NpgsqlException npgsql => npgsql.InnerException is IOException or SocketException or EndOfStreamException,
        _ => false,
    });

    private static bool IsTransientState(string state) =>
        state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("53", StringComparison.Ordinal)
        || state is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow
            or PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected;

    private static IEnumerable<Exception> Chain(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Chain))
                {
                    yield return inner;
                }
            }
        }
    }
}
