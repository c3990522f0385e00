using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// Adds up, for the step commit in progress on the current async flow, the time EF Core reports for each command and
/// for the transaction's COMMIT: the time spent waiting on PostgreSQL (round trips, the WAL flush), as opposed to
/// EF Core's and Npgsql's own work in the commit; and the round trips: each command sent (EF Core batches statements
/// into one command where it can) and each COMMIT. Npgsql sends BEGIN with the transaction's first command, so it is no
/// round trip of its own.
/// </summary>
internal sealed class DatabaseTimeInterceptor : IDbCommandInterceptor, IDbTransactionInterceptor
{
    private static readonly AsyncLocal<StrongBox> Current = new();

    private DatabaseTimeInterceptor()
    {
    }

    /// <summary>Gets the instance (it holds no state: one instance keeps EF Core's internal services shared across hosts).</summary>
    public static DatabaseTimeInterceptor Instance { get; } = new();

    /// <summary>Starts accounting for the current async flow (a step commit); read the result from the returned box.</summary>
    /// <returns>The accumulator, in ms.</returns>
    public static StrongBox Begin() => Current.Value = new StrongBox();

    /// <inheritdoc />
    public ValueTask<DbDataReader> ReaderExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Add(eventData.Duration);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public ValueTask<int> NonQueryExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Add(eventData.Duration);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public ValueTask<object?> ScalarExecutedAsync(
        DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Add(eventData.Duration);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Add(eventData.Duration);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Add(eventData.Duration);
        return Task.CompletedTask;
    }

    private static void Add(TimeSpan duration)
    {
        if (Current.Value is { } box)
        {
            box.Milliseconds += duration.TotalMilliseconds;
            box.RoundTrips++;
        }
    }

    /// <summary>A mutable total, shared by reference along the async flow.</summary>
    internal sealed class StrongBox
    {
        /// <summary>Gets or sets the total, in ms.</summary>
        public double Milliseconds { get; set; }

        /// <summary>Gets or sets the round trips counted: commands executed, COMMITs and ROLLBACKs.</summary>
        public int RoundTrips { get; set; }
    }
}
