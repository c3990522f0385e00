using Npgsql;

namespace Agent.Persistence.Usage;

/// <summary>
/// Sums model-call usage and cost (<c>agent.model_calls</c>) for the API's <c>GET /usage</c>, grouped by any of
/// <see cref="Dimensions"/> and filtered by run, thread, assistant, model and time. A singleton.
/// </summary>
/// <param name="dataSource">The database.</param>
public sealed class UsageQueries(NpgsqlDataSource dataSource)
{
    /// <summary>The dimensions a sum may be grouped by, in output order: run, thread, assistant, provider, model, day (UTC).</summary>
    public static readonly IReadOnlyList<string> Dimensions = ["run", "thread", "assistant", "provider", "model", "day"];

    // One constant statement (every value a parameter, so the SQL audit holds): each dimension is grouped on only
    // when its flag is set (else it is NULL for every row, one group), and each filter applies only when given.
    private const string AggregateSql = """
        SELECT CASE WHEN @by_run THEN run_id END AS run,
               CASE WHEN @by_thread THEN thread_id END AS thread,
               CASE WHEN @by_assistant THEN assistant_id END AS assistant,
               CASE WHEN @by_provider THEN provider END AS provider,
               CASE WHEN @by_model THEN model END AS model,
               CASE WHEN @by_day THEN (created_at AT TIME ZONE 'UTC')::date END AS day,
               count(*) AS calls, count(DISTINCT run_id) AS runs, coalesce(sum(input_tokens), 0)::bigint AS input_tokens,
               coalesce(sum(output_tokens), 0)::bigint AS output_tokens,
               coalesce(sum(cached_input_tokens), 0)::bigint AS cached_input_tokens, coalesce(sum(cost_usd), 0) AS cost_usd,
               count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced_calls, coalesce(avg(latency_ms), 0) AS avg_latency_ms
          FROM agent.model_calls
         WHERE tenant_id = @tenant
           AND (@run_id IS NULL OR run_id = @run_id)
           AND (@thread_id IS NULL OR thread_id = @thread_id)
           AND (@assistant_id IS NULL OR assistant_id = @assistant_id)
           AND (@model IS NULL OR model = @model)
           AND (@since IS NULL OR created_at >= @since)
           AND (@until IS NULL OR created_at < @until)
         GROUP BY 1, 2, 3, 4, 5, 6
         ORDER BY 1, 2, 3, 4, 5, 6
         LIMIT @limit
        """;

    /// <summary>Sums usage.</summary>
    /// <param name="query">The tenant, grouping, filters and row limit.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>
    /// One row per group: the grouped dimensions (<see cref="Guid"/>, <see cref="string"/> or <see cref="DateOnly"/>
    /// for <c>day</c>), then <c>calls</c>, <c>runs</c>, <c>input_tokens</c>, <c>output_tokens</c>,
    /// <c>cached_input_tokens</c>, <c>unpriced_calls</c> (<see cref="long"/>), <c>cost_usd</c> (USD, <see cref="decimal"/>)
    /// and <c>avg_latency_ms</c> (ms, <see cref="double"/>); a null value is null.
    /// </returns>
    public async Task<List<List<KeyValuePair<string, object?>>>> AggregateAsync(UsageAggregateQuery query, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(AggregateSql);
        // Raw SQL bypasses the context's tenant filter: the query names its tenant.
        command.Parameters.Add(new NpgsqlParameter<string>("tenant", query.TenantId));
        foreach (var dimension in Dimensions)
        {
            command.Parameters.Add(new NpgsqlParameter<bool>("by_" + dimension, query.GroupBy.Contains(dimension)));
        }

        command.Parameters.Add(new NpgsqlParameter("run_id", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)query.RunId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("thread_id", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)query.ThreadId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("assistant_id", NpgsqlTypes.NpgsqlDbType.Uuid) { Value = (object?)query.AssistantId ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("model", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)query.Model ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("since", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)query.Since ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("until", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)query.Until ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter<int>("limit", query.Limit));

        var rows = new List<List<KeyValuePair<string, object?>>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new List<KeyValuePair<string, object?>>(reader.FieldCount);
            for (var i = 0; i < reader.FieldCount; i++)
            {
                var name = reader.GetName(i);
                if (Dimensions.Contains(name) && !query.GroupBy.Contains(name))
                {
                    continue;
                }

                var value = reader.GetValue(i);
                row.Add(KeyValuePair.Create(name, value is DBNull ? null : value));
            }

            rows.Add(row);
        }

        return rows;
    }
}

/// <summary>What <see cref="UsageQueries.AggregateAsync"/> sums.</summary>
/// <param name="TenantId">The tenant whose calls are summed.</param>
/// <param name="GroupBy">The dimensions to group by (a subset of <see cref="UsageQueries.Dimensions"/>).</param>
/// <param name="RunId">Only this run's calls, or null.</param>
/// <param name="ThreadId">Only this thread's calls, or null.</param>
/// <param name="AssistantId">Only this assistant's calls, or null.</param>
/// <param name="Model">Only this model's calls, or null.</param>
/// <param name="Since">Only calls at or after this time, or null.</param>
/// <param name="Until">Only calls before this time, or null.</param>
/// <param name="Limit">The most rows returned.</param>
public sealed record UsageAggregateQuery(
    string TenantId, IReadOnlyCollection<string> GroupBy, Guid? RunId, Guid? ThreadId, Guid? AssistantId, string? Model,
    DateTimeOffset? Since, DateTimeOffset? Until, int Limit);
