using System.Diagnostics;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Agent.Tests.Infrastructure;
using Npgsql;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// The cost of a step's writes alone, one client, no loop around them: the runtime's commit
/// (<see cref="RunLifecycle.CommitStepAsync"/> through EF Core, 1 KB delta and event) and, on scratch tables of the same
/// shape with hand-written Npgsql, a bare autocommit INSERT (the reference figure), the step transaction in
/// three round trips as EF Core sends it (UPDATE ... RETURNING; the two INSERTs batched; COMMIT), and in one round trip.
/// Each shape runs as a block of sequential operations: wall time per operation, and this process's CPU per operation
/// (EF Core's and Npgsql's client work, plus the process's background, measured idle alongside). Measured next to the
/// step loop, it tells machine noise from the runtime's own cost, and what EF Core and round trips add.
/// </summary>
internal static class CommitCost
{
    /// <summary>The shapes, in report order.</summary>
    public static readonly string[] Shapes =
    [
        "RunLifecycle.CommitStepAsync (EF Core raw SQL, one statement: 1 round trip)",
        "hand-written step transaction, 3 round trips (UPDATE; 2 INSERTs batched; COMMIT)",
        "hand-written step transaction, 1 round trip (one batch)",
        "hand-written bare INSERT, autocommit",
    ];

    private const string UpdateRun =
        "UPDATE floor_runs SET step_count = step_count + 1, last_event_sequence = last_event_sequence + 1, updated_at = now() " +
        "WHERE run_id = $1 AND lease_epoch = 1 RETURNING last_event_sequence";

    private static readonly string Delta = $$"""{"messages":[{"type":"tool","content":"{{new string('x', 1000)}}"}]}""";

    /// <summary>Measures every shape, <paramref name="operations"/> operations each, and this process's idle CPU.</summary>
    /// <param name="database">The benchmark's database (scratch tables are created there and go with it).</param>
    /// <param name="operations">Operations per shape.</param>
    /// <returns>Per shape: wall samples (ms) and CPU per operation (ms); and the idle CPU of the process (ms per s).</returns>
    public static async Task<(Dictionary<string, (List<double> WallMs, double CpuMs)> Shapes, double IdleCpuMsPerSecond)> MeasureAsync(
        TestDatabase database, int operations)
    {
        var results = Shapes.ToDictionary(s => s, _ => (WallMs: new List<double>(), CpuMs: 0.0));
        await using var connection = await database.DataSource.OpenConnectionAsync();
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
        var scratchRun = Guid.CreateVersion7();
        await ExecuteAsync(connection, $"INSERT INTO floor_runs VALUES ('{scratchRun}', 1, 0, 0, now())");

        // A real run, claimed, for the runtime's own commit.
        var run = (await StepLoopRuns.InsertAsync(database, 1))[0];
        await using var context = database.CreateContext();
        var store = new RunLifecycle(context, TimeProvider.System);
        var claim = await store.ClaimAsync(run.RunId, "bench-commit-cost", TimeSpan.FromHours(1), takeOver: false, CancellationToken.None);
        var step = 0;

        Func<Task>[] operationsByShape =
        [
            async () => await store.CommitStepAsync(
                new RunStepCommit
                {
                    RunId = run.RunId,
                    Epoch = claim.Epoch,
                    Checkpoint = new Checkpoint
                    {
                        CheckpointId = Guid.CreateVersion7(), TenantId = run.TenantId, ThreadId = run.ThreadId, RunId = run.RunId, Step = ++step, Node = "tools", Delta = Delta,
                    },
                    Events = [("step", Delta)],
                    StepsAdded = 1,
                },
                CancellationToken.None),
            async () =>
            {
                await using var transaction = await connection.BeginTransactionAsync();
                long sequence;
                await using (var update = new NpgsqlCommand(UpdateRun, connection, transaction))
                {
                    update.Parameters.Add(new NpgsqlParameter { Value = scratchRun });
                    sequence = (long)(await update.ExecuteScalarAsync())!;
                }

                await using (var batch = new NpgsqlBatch(connection, transaction))
                {
                    AddInserts(batch, scratchRun, sequence);
                    await batch.ExecuteNonQueryAsync();
                }

                await transaction.CommitAsync();
            },
            async () =>
            {
                await using var batch = new NpgsqlBatch(connection);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN"));
                var update = new NpgsqlBatchCommand(UpdateRun);
                update.Parameters.Add(new NpgsqlParameter { Value = scratchRun });
                batch.BatchCommands.Add(update);
                // In one round trip the client cannot pass the UPDATE's result on: the INSERTs read it from the row.
                AddInserts(batch, scratchRun, sequence: null);
                batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
                await batch.ExecuteNonQueryAsync();
            },
            async () =>
            {
                await using var command = new NpgsqlCommand("INSERT INTO floor_inserts (payload) VALUES ($1::jsonb)", connection);
                command.Parameters.Add(new NpgsqlParameter { Value = Delta });
                await command.ExecuteNonQueryAsync();
            },
        ];

        for (var shape = 0; shape < Shapes.Length; shape++)
        {
            var wall = results[Shapes[shape]].WallMs;
            var cpuBefore = ProcessCpuMilliseconds();
            for (var i = 0; i < operations; i++)
            {
                var started = Stopwatch.GetTimestamp();
                await operationsByShape[shape]();
                wall.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }

            results[Shapes[shape]] = (wall, (ProcessCpuMilliseconds() - cpuBefore) / operations);
        }

        // The process's background CPU (timers, the runtime, the test host), which the figures above include.
        var idleBefore = ProcessCpuMilliseconds();
        var idleStarted = Stopwatch.GetTimestamp();
        using (var idle = new PeriodicTimer(TimeSpan.FromSeconds(1)))
        {
            await idle.WaitForNextTickAsync();
        }

        var idleCpu = (ProcessCpuMilliseconds() - idleBefore) / Stopwatch.GetElapsedTime(idleStarted).TotalSeconds;
        return (results, idleCpu);
    }

    private static double ProcessCpuMilliseconds()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.TotalMilliseconds;
    }

    private static void AddInserts(NpgsqlBatch batch, Guid runId, long? sequence)
    {
        var checkpoint = new NpgsqlBatchCommand(
            "INSERT INTO floor_checkpoints (run_id, step, delta, created_at) " +
            "VALUES ($1, (SELECT step_count FROM floor_runs WHERE run_id = $1), $2::jsonb, now())");
        checkpoint.Parameters.Add(new NpgsqlParameter { Value = runId });
        checkpoint.Parameters.Add(new NpgsqlParameter { Value = Delta });
        batch.BatchCommands.Add(checkpoint);
        var runEvent = new NpgsqlBatchCommand(sequence is null
            ? "INSERT INTO floor_events VALUES ($1, (SELECT last_event_sequence FROM floor_runs WHERE run_id = $1), $2::jsonb, now())"
            : "INSERT INTO floor_events VALUES ($1, $3, $2::jsonb, now())");
        runEvent.Parameters.Add(new NpgsqlParameter { Value = runId });
        runEvent.Parameters.Add(new NpgsqlParameter { Value = Delta });
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
