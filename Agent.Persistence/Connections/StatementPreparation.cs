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
/// </remarks>
public static class StatementPreparation
{
    /// <summary>How many statements stay prepared per physical connection. Npgsql's default is 0 (off).</summary>
    public const int MaxStatements = 64;

    /// <summary>How many times a statement is sent on a connection before it is prepared (Npgsql's default, 5).</summary>
    public const int MinUsages = 5;

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
