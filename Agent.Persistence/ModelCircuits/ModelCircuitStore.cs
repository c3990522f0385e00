using Microsoft.EntityFrameworkCore;

namespace Agent.Persistence.ModelCircuits;

/// <summary>An open circuit as one worker reads it: the model's key and how long it stays open.</summary>
/// <param name="Key">The circuit's key, <c>{provider}:{model}</c>.</param>
/// <param name="Remaining">How long until it lets calls through again, by the database clock (always positive).</param>
public sealed record OpenModelCircuit(string Key, TimeSpan Remaining);

/// <summary>
/// Shares model circuit-breaker state across worker processes through PostgreSQL (table <c>agent.model_circuits</c>),
/// where the provider rate limits already live.
/// </summary>
/// <remarks>
/// The database clock (<c>statement_timestamp()</c>) is the only clock: a worker reads how long a circuit stays open,
/// never a timestamp to compare with its own clock, so the workers' clocks need not agree.
/// </remarks>
/// <param name="contextFactory">Creates unscoped contexts (circuits belong to no tenant).</param>
public sealed class ModelCircuitStore(IDbContextFactory<AgentDbContext> contextFactory)
{
    /// <summary>
    /// Records that a circuit opened for <paramref name="breakDuration"/>. When another worker already holds it open
    /// for longer, the later end is kept.
    /// </summary>
    /// <param name="key">The circuit's key, <c>{provider}:{model}</c> (at most 300 characters).</param>
    /// <param name="breakDuration">How long the circuit stays open.</param>
    /// <param name="openedBy">The worker instance that opened it.</param>
    /// <param name="reason">The failure that opened it (cut to 500 characters), or null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task completing when written.</returns>
    public async Task OpenAsync(string key, TimeSpan breakDuration, string openedBy, string? reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var cut = reason is { Length: > 500 } ? reason[..500] : reason;
        await using var context = await contextFactory.CreateDbContextAsync(cancellationToken);
        await context.Database.ExecuteSqlAsync($"""
            INSERT INTO agent.model_circuits AS c (key, open_until, opened_at, opened_by, reason)
            VALUES ({key}, statement_timestamp() + {breakDuration}, statement_timestamp(), {openedBy}, {cut})
            ON CONFLICT (key) DO UPDATE
               SET open_until = GREATEST(c.open_until, EXCLUDED.open_until), opened_at = EXCLUDED.opened_at,
                   opened_by = EXCLUDED.opened_by, reason = EXCLUDED.reason
            """, cancellationToken);
    }

    /// <summary>
    /// Records that a probe call succeeded, so the circuit is closed for everyone. A circuit that another worker
    /// re-opened and that is still open is left alone.
    /// </summary>
    /// <param name="key">The circuit's key.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task completing when written.</returns>
    public async Task CloseAsync(string key, CancellationToken cancellationToken)
    {
        await using var context = await contextFactory.CreateDbContextAsync(cancellationToken);
        await context.Database.ExecuteSqlAsync(
            $"DELETE FROM agent.model_circuits WHERE key = {key} AND open_until <= statement_timestamp() + interval '1 second'",
            cancellationToken);
    }

    /// <summary>Reads every circuit that is open now.</summary>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>The open circuits with how long each stays open; empty when none is.</returns>
    public async Task<IReadOnlyList<OpenModelCircuit>> ReadOpenAsync(CancellationToken cancellationToken)
    {
        await using var context = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await context.Database.SqlQuery<OpenCircuitRow>($"""
            SELECT key AS "Key", EXTRACT(EPOCH FROM open_until - statement_timestamp())::float8 AS "Seconds"
              FROM agent.model_circuits WHERE open_until > statement_timestamp()
            """).ToListAsync(cancellationToken);
        return rows.Select(r => new OpenModelCircuit(r.Key, TimeSpan.FromSeconds(r.Seconds))).ToList();
    }

    private sealed record OpenCircuitRow(string Key, double Seconds);
}
