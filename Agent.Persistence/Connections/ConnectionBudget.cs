using System.ComponentModel.DataAnnotations;
using Npgsql;

namespace Agent.Persistence.Connections;

/// <summary>
/// Sizes each process's Npgsql pool so that every API and worker process together stays within PostgreSQL's
/// <c>max_connections</c> (configuration section <c>Database</c>, e.g. <c>Database__Processes=6</c>):
/// <c>Maximum Pool Size = max(2, floor((MaxConnections - ReservedConnections) / Processes))</c>.
/// </summary>
/// <remarks>
/// Without a budget every process may open Npgsql's default of 100 connections; a burst then makes the server refuse
/// new ones (53300 too_many_connections), which surfaced as HTTP 500 under 100 concurrent clients. With it, a burst
/// waits for a pooled connection instead (up to the connection string's <c>Timeout</c>, 15 s by default), and a
/// wait that runs out answers 503 with <c>Retry-After</c>. A <c>Maximum Pool Size</c> written in the connection
/// string wins over the budget. docs/operations.md ("Connection budget") has the reasoning and the values that
/// <c>deploy/local/up.sh</c>, <c>docker-compose.yml</c> and <c>deploy/k8s</c> set.
/// </remarks>
public sealed class ConnectionBudget
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Database";

    /// <summary>The smallest pool any process gets: one connection for a run's step and one for its lease heartbeat.</summary>
    public const int MinimumPoolSize = 2;

    /// <summary>Gets or sets PostgreSQL's <c>max_connections</c>. Default is 100 (PostgreSQL's default).</summary>
    [Range(10, 100_000)]
    public int MaxConnections { get; set; } = 100;

    /// <summary>
    /// Gets or sets the connections kept out of the budget: <c>superuser_reserved_connections</c> (3 by default),
    /// the migrate job, psql sessions and monitoring. Default is 10.
    /// </summary>
    [Range(0, 100_000)]
    public int ReservedConnections { get; set; } = 10;

    /// <summary>
    /// Gets or sets how many API and worker processes can connect at once: their counts at full scale, plus the pods a
    /// rolling update adds. Default is 4 (one API and three workers).
    /// </summary>
    [Range(1, 10_000)]
    public int Processes { get; set; } = 4;

    /// <summary>Gets this process's pool size from the formula.</summary>
    public int MaxPoolSize => Math.Max(MinimumPoolSize, (MaxConnections - ReservedConnections) / Processes);

    /// <summary>Checks the settings (ranges, and reserved connections below the maximum).</summary>
    /// <returns>This budget.</returns>
    /// <exception cref="ValidationException">A setting is out of range.</exception>
    public ConnectionBudget Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (ReservedConnections >= MaxConnections)
        {
            throw new ValidationException($"Database:ReservedConnections ({ReservedConnections}) must be below Database:MaxConnections ({MaxConnections}).");
        }

        return this;
    }

    /// <summary>Applies the budget to a connection string, unless it sets <c>Maximum Pool Size</c> itself.</summary>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <returns>The connection string with <c>Maximum Pool Size</c> set.</returns>
    public string Apply(string connectionString)
    {
        // NpgsqlConnectionStringBuilder.ContainsKey answers for every keyword it knows, set or not: look at the text.
        var written = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", string.Empty, StringComparison.Ordinal))
            .Any(k => k.Equals("MaximumPoolSize", StringComparison.OrdinalIgnoreCase) || k.Equals("MaxPoolSize", StringComparison.OrdinalIgnoreCase));
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!written)
        {
            builder.MaxPoolSize = MaxPoolSize;
        }

        return builder.ConnectionString;
    }
}
