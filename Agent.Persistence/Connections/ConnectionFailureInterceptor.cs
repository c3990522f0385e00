using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace Agent.Persistence.Connections;

/// <summary>
/// Clears this process's Npgsql pool when a command fails on a broken connection. Npgsql does not test a pooled
/// connection before handing it out (a round trip per use), so after a PostgreSQL restart every idle connection would
/// fail once; clearing the pool at the first failure makes the next rentals open fresh connections. Also counts
/// completed commands for <see cref="DatabaseActivity"/>.
/// </summary>
internal sealed class ConnectionFailureInterceptor : DbCommandInterceptor
{
    /// <summary>Gets the shared instance (the interceptor holds no state).</summary>
    public static ConnectionFailureInterceptor Instance { get; } = new();

    /// <inheritdoc />
    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData)
    {
        OnFailed(command, eventData.Exception);
        base.CommandFailed(command, eventData);
    }

    /// <inheritdoc />
    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        OnFailed(command, eventData.Exception);
        return base.CommandFailedAsync(command, eventData, cancellationToken);
    }

    /// <inheritdoc />
    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        DatabaseActivity.Current?.OnCommandCompleted();
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        DatabaseActivity.Current?.OnCommandCompleted();
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        DatabaseActivity.Current?.OnCommandCompleted();
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<int> NonQueryExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        DatabaseActivity.Current?.OnCommandCompleted();
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        DatabaseActivity.Current?.OnCommandCompleted();
        return result;
    }

    /// <inheritdoc />
    public override ValueTask<object?> ScalarExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        DatabaseActivity.Current?.OnCommandCompleted();
        return ValueTask.FromResult(result);
    }

    private static void OnFailed(DbCommand command, Exception exception)
    {
        if (TransientDatabaseFailure.IsBrokenConnection(exception) && command.Connection is NpgsqlConnection connection)
        {
            NpgsqlConnection.ClearPool(connection);
        }
    }
}
