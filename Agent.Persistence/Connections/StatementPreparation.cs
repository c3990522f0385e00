using Npgsql;

namespace Agent.Persistence.Connections;

/// <summary>
/// Turns on Npgsql's automatic statement preparation for the agent database, unless the connection string decides:
/// a statement sent <see cref="MinUsages"/> times on a physical connection is prepared there (parsed and planned once
/// on the server), and up to <see cref="MaxStatements"/> statements stay prepared per connection (least recently used
/// ones are unprepared). Npgsql docs, "Prepared Statements" (<c>Max Auto Prepare</c>, <c>Auto Prepare Min Usages</c>).
/// </summary>
/// <remarks>
/// The step commit (<see cref="Runs.RunLifecycle.CommitStepAsync"/>) is one static statement of six CTEs: sent
/// unprepared, PostgreSQL parses, analyzes and plans it at every step. Prepared, each step only binds and executes it.
/// A connection string that sets <c>Max Auto Prepare</c> wins (<c>Max Auto Prepare=0</c> turns preparation off, e.g.
/// behind a PgBouncer older than 1.21 in transaction mode, which cannot keep prepared statements).
/// <para>
/// A migration applied while processes run (DDL invalidates every plan that reads the table it changes) costs nothing
/// when it keeps the types of the columns prepared statements return: PostgreSQL plans the statement again on its next
/// execution. One that changes such a type (e.g. <c>varchar(32)</c> to <c>text</c>) fails the statement's next
/// execution on each connection that prepared it, once, with <see cref="IsStalePlan"/>'s error; Npgsql then drops the
/// prepared statement, and the next execution prepares it afresh. The worker retries a step commit that fails so
/// (its commit retries count it transient); the API counts it a transient database failure
/// (<see cref="TransientDatabaseFailure"/>): a read, or a write before its first command completed, is retried once,
/// anything else answers 503 with <c>Retry-After</c>. Migrations meant to run under live
/// processes keep column types (expand, then contract), as the previous release must read the new schema anyway.
/// </para>
/// </remarks>
public static class StatementPreparation
{
    /// <summary>How many statements stay prepared per physical connection. Npgsql's default is 0 (off).</summary>
    public const int MaxStatements = 64;

    /// <summary>How many times a statement is sent on a connection before it is prepared (Npgsql's default, 5).</summary>
    public const int MinUsages = 5;

    /// <summary>
    /// Determines whether a failure is a prepared statement outliving a change of its result type (PostgreSQL's
    /// <c>0A000</c> "cached plan must not change result type", raised by <c>RevalidateCachedQuery</c> in
    /// <c>plancache.c</c>): Npgsql has dropped the statement, so the same statement sent again succeeds.
    /// </summary>
    /// <param name="exception">The failure (inner exceptions are searched).</param>
    /// <returns><see langword="true"/> for a stale prepared statement.</returns>
    public static bool IsStalePlan(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // The routine, not the message text: the server translates messages (lc_messages).
            if (e is PostgresException { SqlState: PostgresErrorCodes.FeatureNotSupported, Routine: "RevalidateCachedQuery" })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Applies the preparation settings to a connection string, unless it sets <c>Max Auto Prepare</c> itself.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <returns>The connection string with <c>Max Auto Prepare</c> set.</returns>
    public static string Apply(string connectionString)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers for every keyword it knows, set or not: look at the text.
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(k => k.Replace(" ", string.Empty, StringComparison.Ordinal).Equals("MaxAutoPrepare", StringComparison.OrdinalIgnoreCase));
        if (written)
        {
            return connectionString;
        }

        return new NpgsqlConnectionStringBuilder(connectionString) { MaxAutoPrepare = MaxStatements, AutoPrepareMinUsages = MinUsages }
            .ConnectionString;
    }
}
