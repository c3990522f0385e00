using Npgsql;

namespace Agent.Persistence.RateLimits;

/// <summary>
/// A requests-per-minute and tokens-per-minute limit for one provider and model.
/// </summary>
/// <param name="Key">The limit's key, <c>{provider}:{model}</c>.</param>
/// <param name="RequestsPerMinute">The most requests per minute, or null for no request limit.</param>
/// <param name="TokensPerMinute">The most tokens (input + output) per minute, or null for no token limit.</param>
/// <param name="RequestBurst">
/// How many requests may go at once before pacing starts. Default 1: requests are paced evenly, one every
/// 60 s / <paramref name="RequestsPerMinute"/>, so no minute ever holds more than the limit.
/// </param>
public sealed record RateLimitRule(string Key, int? RequestsPerMinute, long? TokensPerMinute, int RequestBurst = 1)
{
    /// <summary>Gets the request emission interval (60 s / RPM), or zero without a request limit.</summary>
    public TimeSpan RequestInterval => RequestsPerMinute is > 0 and var rpm ? TimeSpan.FromMinutes(1) / rpm : TimeSpan.Zero;

    /// <summary>Gets the cost of <paramref name="tokens"/> tokens (tokens × 60 s / TPM, capped at a minute), or zero without a token limit.</summary>
    /// <param name="tokens">The tokens, in tokens.</param>
    /// <returns>The time the tokens take from the minute's budget.</returns>
    public TimeSpan TokenCost(long tokens) =>
        TokensPerMinute is > 0 and var tpm ? TimeSpan.FromMinutes(1) * Math.Min(1d, Math.Max(0, tokens) / (double)tpm) : TimeSpan.Zero;
}

/// <summary>
/// Acquires rate-limit capacity atomically in PostgreSQL, so that every process shares one limit (see
/// <see cref="ProviderRateLimit"/> for the algorithm, GCRA): the model providers' limits, which every worker shares,
/// and the API keys' request limits (keys <c>api-key:{key_id}</c>), which every API replica shares.
/// </summary>
/// <remarks>
/// Requests admit <see cref="RateLimitRule.RequestBurst"/> at once and are then paced; tokens admit up to one
/// minute's worth at once (a call's tokens are not known in advance, so a call costs its estimate, corrected after it
/// by <see cref="ChargeTokensAsync"/>). The database clock (<c>statement_timestamp()</c>) is the only clock, so the
/// workers' clocks need not agree.
/// </remarks>
/// <param name="dataSource">The agent database.</param>
public sealed class ProviderRateLimitStore(NpgsqlDataSource dataSource)
{
    // One upsert: the row lock serialises workers; the WHERE admits the call only when both theoretical arrival times
    // stay within capacity after adding the call's cost, and then keeps the pushed-forward times.
    private const string AcquireSql = """
        INSERT INTO agent.provider_rate_limits AS l (key, requests_tat, tokens_tat)
        VALUES (@key, statement_timestamp() + @request_cost, statement_timestamp() + @token_cost)
        ON CONFLICT (key) DO UPDATE
           SET requests_tat = GREATEST(l.requests_tat, statement_timestamp()) + @request_cost,
               tokens_tat = GREATEST(l.tokens_tat, statement_timestamp()) + @token_cost
         WHERE GREATEST(l.requests_tat, statement_timestamp()) + @request_cost <= statement_timestamp() + @request_capacity
           AND GREATEST(l.tokens_tat, statement_timestamp()) + @token_cost <= statement_timestamp() + @token_capacity
        RETURNING 1
        """;

    // How long until a call of this cost would pass (<= 0: now).
    private const string WaitSql = """
        SELECT GREATEST(
                 EXTRACT(EPOCH FROM GREATEST(requests_tat, statement_timestamp()) + @request_cost - statement_timestamp() - @request_capacity),
                 EXTRACT(EPOCH FROM GREATEST(tokens_tat, statement_timestamp()) + @token_cost - statement_timestamp() - @token_capacity))::float8
          FROM agent.provider_rate_limits WHERE key = @key
        """;

    private const string ChargeSql = """
        UPDATE agent.provider_rate_limits
           SET tokens_tat = GREATEST(tokens_tat, statement_timestamp()) + @token_cost
         WHERE key = @key
        """;

    /// <summary>Takes one request and <paramref name="tokens"/> tokens of capacity if the limit allows them now.</summary>
    /// <param name="rule">The limit.</param>
    /// <param name="tokens">The tokens the call is expected to use (an estimate; correct it with <see cref="ChargeTokensAsync"/>).</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns><see cref="TimeSpan.Zero"/> when acquired, else how long to wait before trying again (at least 1 ms).</returns>
    public async Task<TimeSpan> TryAcquireAsync(RateLimitRule rule, long tokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        await using (var acquire = dataSource.CreateCommand(AcquireSql))
        {
            Bind(acquire, rule, rule.RequestInterval, rule.TokenCost(tokens));
            if (await acquire.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return TimeSpan.Zero;
            }
        }

        var wait = await WaitAsync(rule, rule.RequestInterval, rule.TokenCost(tokens), cancellationToken);
        // Another worker may have moved the times between the two statements: a refusal never says "now".
        return wait > TimeSpan.FromMilliseconds(1) ? wait : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>
    /// Takes <paramref name="requests"/> requests of capacity at once if the limit allows them all now (tokens are not
    /// counted). The API's per-key limit takes requests in batches this way, so a replica asks the database once per
    /// batch rather than once per request.
    /// </summary>
    /// <param name="rule">The limit (its <see cref="RateLimitRule.RequestsPerMinute"/> must be set).</param>
    /// <param name="requests">How many requests to take, at least 1.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns><see cref="TimeSpan.Zero"/> when taken, else how long until one request would pass (at least 1 ms).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="requests"/> is below 1.</exception>
    public async Task<TimeSpan> TryAcquireRequestsAsync(RateLimitRule rule, int requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentOutOfRangeException.ThrowIfLessThan(requests, 1);
        await using (var acquire = dataSource.CreateCommand(AcquireSql))
        {
            Bind(acquire, rule, rule.RequestInterval * requests, TimeSpan.Zero);
            if (await acquire.ExecuteScalarAsync(cancellationToken) is not null)
            {
                return TimeSpan.Zero;
            }
        }

        var wait = await WaitAsync(rule, rule.RequestInterval, TimeSpan.Zero, cancellationToken);
        return wait > TimeSpan.FromMilliseconds(1) ? wait : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>Tells how long until the limit admits a request, without taking capacity (the pre-flight check).</summary>
    /// <param name="rule">The limit.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns><see cref="TimeSpan.Zero"/> when a request would pass now, else the wait.</returns>
    public async Task<TimeSpan> TimeUntilAvailableAsync(RateLimitRule rule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var wait = await WaitAsync(rule, rule.RequestInterval, TimeSpan.Zero, cancellationToken);
        return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
    }

    /// <summary>Charges tokens a call used beyond its estimate (nothing for zero or fewer).</summary>
    /// <param name="rule">The limit.</param>
    /// <param name="extraTokens">Actual minus estimated tokens.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>A task that completes when charged.</returns>
    public async Task ChargeTokensAsync(RateLimitRule rule, long extraTokens, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (extraTokens <= 0 || rule.TokensPerMinute is null)
        {
            return;
        }

        await using var charge = dataSource.CreateCommand(ChargeSql);
        Bind(charge, rule, TimeSpan.Zero, rule.TokenCost(extraTokens));
        await charge.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<TimeSpan> WaitAsync(RateLimitRule rule, TimeSpan requestCost, TimeSpan tokenCost, CancellationToken cancellationToken)
    {
        await using var wait = dataSource.CreateCommand(WaitSql);
        Bind(wait, rule, requestCost, tokenCost);
        return await wait.ExecuteScalarAsync(cancellationToken) is double seconds ? TimeSpan.FromSeconds(seconds) : TimeSpan.Zero;
    }

    private static void Bind(NpgsqlCommand command, RateLimitRule rule, TimeSpan requestCost, TimeSpan tokenCost)
    {
        command.Parameters.AddWithValue("key", rule.Key);
        command.Parameters.AddWithValue("request_cost", requestCost);
        command.Parameters.AddWithValue("request_capacity", rule.RequestInterval * Math.Max(1, rule.RequestBurst));
        command.Parameters.AddWithValue("token_cost", tokenCost);
        command.Parameters.AddWithValue("token_capacity", rule.TokensPerMinute is null ? TimeSpan.Zero : TimeSpan.FromMinutes(1));
    }
}
