using System.Diagnostics;
using Npgsql;

namespace Agent.Tests.Benchmarks.StepLoop;

/// <summary>
/// What PostgreSQL itself costs for a step's writes right now, from one client with hand-written Npgsql on scratch
/// tables of the step's shape (a run row, a 1 KB jsonb checkpoint, an event): a bare autocommit INSERT (the issue's
/// reference figure), the step transaction in three round trips as EF Core sends it (UPDATE ... RETURNING; the two
/// INSERTs batched; COMMIT), and the same transaction in one round trip. Measured next to the step loop, it tells
/// machine noise from the runtime's own cost, and what EF Core and the round trips add.
/// </summary>
internal static class PostgresFloor
{
    private static readonly string Payload = $$"""{"messages":[{"type":"tool","content":"{{new string('x', 1000)}}"}]}""";

    /// <summary>Measures each of the three shapes <paramref name="samples"/> times, interleaved.</summary>
    /// <param name="dataSource">A scratch database (the tables are created there and left for the database's drop).</param>
    /// <param name="samples">Samples per shape.</param>
    /// <returns>Latency samples in ms: bare insert, step transaction in 3 round trips, in 1 round trip.</returns>
    public static async Task<(List<double> Insert, List<double> ThreeRoundTrips, List<double> OneRoundTrip)> MeasureAsync(
        NpgsqlDataSource dataSource, int samples)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS floor_inserts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL);
            CREATE TABLE IF NOT EXISTS floor_runs (run_id uuid PRIMARY KEY, lease_epoch bigint NOT NULL, step_count int NOT NULL,
                                                   last_event_sequence bigint NOT NULL, updated_at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS floor_checkpoints (sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, run_id uuid NOT NULL,
                                                          step int NOT NULL, delta jsonb NOT NULL, created_at timestamptz NOT NULL,
                                                          UNIQUE (run_id, step));
            CREATE TABLE IF NOT EXISTS floor_events (run_id uuid NOT NULL, sequence bigint NOT NULL, data jsonb NOT NULL,
                                                     created_at timestamptz NOT NULL, PRIMARY KEY (run_id, sequence));
            """);
        var runId = Guid.CreateVersion7();
        await ExecuteAsync(connection, $"INSERT INTO floor_runs VALUES ('{runId}', 1, 0, 0, now())");

        var insert = new List<double>();
        var three = new List<double>();
        var one = new List<double>();
        for (var i = 0; i < samples; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await using (var command = new NpgsqlCommand("INSERT INTO floor_inserts (payload) VALUES ($1::jsonb)", connection))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = Payload });
                await command.ExecuteNonQueryAsync();
            }

            insert.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

            started = Stopwatch.GetTimestamp();
            await using (var transaction = await connection.BeginTransactionAsync())
            {
                long sequence;
                await using (var update = new NpgsqlCommand(UpdateRun, connection, transaction))
                {
                    update.Parameters.Add(new NpgsqlParameter { Value = runId });
                    sequence = (long)(await update.ExecuteScalarAsync())!;
                }

                await using (var batch = new NpgsqlBatch(connection, transaction))
                {
                    AddInserts(batch, runId, sequence);
                    await batch.ExecuteNonQueryAsync();
                }

                await transaction.CommitAsync();
            }

            three.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);

            started = Stopwatch.GetTimestamp();
            await using (var batch = new NpgsqlBatch(connection))
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
                var update = new NpgsqlBatchCommand(UpdateRun);
                update.Parameters.Add(new NpgsqlParameter { Value = runId });
                batch.BatchCommands.Add(update);
                // One round trip cannot feed the UPDATE's result to the INSERTs from the client: the sequence comes from
                // the row itself, as one statement with CTEs would do it.
                AddInserts(batch, runId, sequence: null);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                await batch.ExecuteNonQueryAsync();
            }

            one.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return (insert, three, one);
    }

    private const string UpdateRun =
        "UPDATE floor_runs SET step_count = step_count + 1, last_event_sequence = last_event_sequence + 1, updated_at = now() " +
        "WHERE run_id = $1 AND lease_epoch = 1 RETURNING last_event_sequence";

    private static void AddInserts(NpgsqlBatch batch, Guid runId, long? sequence)
    {
        var checkpoint = new NpgsqlBatchCommand(
            "INSERT INTO floor_checkpoints (run_id, step, delta, created_at) " +
            "VALUES ($1, (SELECT step_count FROM floor_runs WHERE run_id = $1), $2::jsonb, now())");
        checkpoint.Parameters.Add(new NpgsqlParameter { Value = runId });
        checkpoint.Parameters.Add(new NpgsqlParameter { Value = Payload });
        batch.BatchCommands.Add(checkpoint);
        var runEvent = new NpgsqlBatchCommand(sequence is null
            ? "INSERT INTO floor_events VALUES ($1, (SELECT last_event_sequence FROM floor_runs WHERE run_id = $1), $2::jsonb, now())"
            : "INSERT INTO floor_events VALUES ($1, $3, $2::jsonb, now())");
        runEvent.Parameters.Add(new NpgsqlParameter { Value = runId });
        runEvent.Parameters.Add(new NpgsqlParameter { Value = Payload });
        if (sequence is { } value)
        {
            runEvent.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        batch.BatchCommands.Add(runEvent);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
