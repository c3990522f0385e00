using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Agent.Tests.Infrastructure;

/// <summary>
/// Counts the round trips to PostgreSQL that EF Core makes on the current async flow: every command sent (EF Core batches
/// statements into one command where it can; failed commands count too) and every COMMIT and ROLLBACK. Npgsql sends
/// BEGIN with a transaction's first command, so BEGIN is no round trip of its own. One shared instance (it keeps its
/// state in an <see cref="AsyncLocal{T}"/>), so EF Core builds its internal services once.
/// </summary>
internal sealed class RoundTripCounter : IDbCommandInterceptor, IDbTransactionInterceptor
{
    private static readonly AsyncLocal<Count?> Current = new();

    private RoundTripCounter()
    {
    }

    /// <summary>Gets the shared instance.</summary>
    public static RoundTripCounter Instance { get; } = new();

    /// <summary>Starts counting on the current async flow (and what it calls); read the total from the returned count.</summary>
    /// <returns>The count.</returns>
    public static Count Begin() => Current.Value = new Count();

    /// <inheritdoc />
    public ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Add(command.CommandText);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Add(command.CommandText);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public ValueTask<InterceptionResult<object>> ScalarExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Add(command.CommandText);
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public ValueTask<InterceptionResult> TransactionCommittingAsync(
        DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Add("COMMIT");
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public ValueTask<InterceptionResult> TransactionRollingBackAsync(
        DbTransaction transaction, TransactionEventData eventData, InterceptionResult result, CancellationToken cancellationToken = default)
    {
        Add("ROLLBACK");
        return ValueTask.FromResult(result);
    }

    private static void Add(string what) => Current.Value?.Add(what);

    /// <summary>The round trips counted on one async flow.</summary>
    internal sealed class Count
    {
        private readonly List<string> sent = [];

        /// <summary>Gets how many round trips were made.</summary>
        public int RoundTrips
        {
            get
            {
                lock (sent)
                {
                    return sent.Count;
                }
            }
        }

        /// <summary>Gets what each round trip sent (the command's text, or COMMIT / ROLLBACK), for failure messages.</summary>
        public IReadOnlyList<string> Sent
        {
            get
            {
                lock (sent)
                {
                    return [.. sent];
                }
            }
        }

        /// <summary>Records one round trip.</summary>
        /// <param name="what">What it sent.</param>
        public void Add(string what)
        {
            lock (sent)
            {
                sent.Add(what);
            }
        }
    }
}
