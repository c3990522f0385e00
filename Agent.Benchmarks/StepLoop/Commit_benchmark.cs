using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Persistence.Runs;
using Agent.Tests.Faults;
using Agent.Tests.Infrastructure;
using Npgsql;
using static Agent.Benchmarks.BenchmarkOutput;
using static Agent.Benchmarks.Distribution;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// What a step commit writes, counted rather than timed, on a private PostgreSQL instance (so no other database's
/// writes are in its WAL): the step loop of <see cref="Step_loop_benchmark"/> (in-process worker, instant model and
/// tool, runs of 11 steps, 1 slot) runs a batch, and the counters are read before and after: WAL bytes
/// (<c>pg_current_wal_lsn</c>) and their breakdown by record type (<c>pg_waldump --stats</c>), rows inserted and updated
/// per table and how many of the <c>runs</c> updates were HOT (<c>pg_stat_user_tables</c>), events per step by kind,
/// and the round trips of each step commit. See BENCHMARKS.md, "What a step writes".
/// </summary>
[TestFixture]
[Explicit("Benchmark: deploy/local/bench.sh runs it")]
[Category("Benchmark")]
[NonParallelizable]
public sealed class Commit_benchmark
{
    private const int ToolRounds = 5;
    private const string PgWaldump = "/usr/lib/postgresql/15/bin/pg_waldump";

    private static readonly string[] Tables = ["runs", "checkpoints", "run_events", "model_calls", "threads"];

    [Test]
    public async Task Counts_wal_bytes_rows_hot_updates_and_round_trips_per_step()
    {
        await using var server = await PrivatePostgres.StartAsync();
        await using var database = await TestDatabase.CreateAsync(server.ServerConnectionString);
        await using (var context = database.CreateContext())
        {
            await new AgentDatabaseMigrator(context, TimeProvider.System).MigrateAsync(CancellationToken.None);
        }

        var queue = "agent-runs-bench-" + Guid.NewGuid().ToString("N")[..8];
        var probe = new StepProbe();
        var runs = Pick(10, 100);
        long walBytes;
        string walStats;
        Dictionary<string, TableCounts> before, after;
        List<(string Kind, long Count)> eventsByKind;
        List<RowBytes> rowBytes;
        long checkpoints;
        try
        {
            // Warm-up: JIT, pools, and the tables' first pages. Not counted.
            await RunBatchAsync(database, queue, probe, Pick(3, 10));
            before = await TableCountsAsync(database);
            var checkpointsBefore = await ScalarAsync<long>(database, "SELECT count(*) FROM agent.checkpoints");
            var startLsn = await ScalarAsync<string>(database, "SELECT pg_current_wal_lsn()::text");
            await RunBatchAsync(database, queue, probe, runs);
            var endLsn = await ScalarAsync<string>(database, "SELECT pg_current_wal_lsn()::text");
            walBytes = await ScalarAsync<long>(database, $"SELECT pg_wal_lsn_diff('{endLsn}', '{startLsn}')::bigint");
            walStats = await WalStatsAsync(server, startLsn, endLsn);
            checkpoints = await ScalarAsync<long>(database, "SELECT count(*) FROM agent.checkpoints") - checkpointsBefore;
            after = await SettledTableCountsAsync(database, before["checkpoints"].Inserted + checkpoints);
            eventsByKind = await EventsByKindAsync(database);
            rowBytes = await RowBytesAsync(database);
        }
        finally
        {
            await BenchQueues.DeleteAsync(queue);
        }

        var stepCommits = probe.Runs.SelectMany(r => r.Spans).Where(s => s.IsStepCommit).ToList();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(probe.Runs.Select(r => r.FinalStatus), Is.All.EqualTo(AgentRunStatus.Success));
            Assert.That(checkpoints, Is.EqualTo(runs * ((2 * ToolRounds) + 3)), "13 checkpoints per run: the input checkpoint (step -1), __start__ and 11 steps");
        }

        Report(runs, checkpoints, walBytes, walStats, before, after, eventsByKind, rowBytes, Of(stepCommits.Select(s => (double)s.RoundTrips)));
    }

    private static async Task RunBatchAsync(TestDatabase database, string queue, StepProbe probe, int runs)
    {
        probe.Reset(await StepLoopRuns.QueueAsync(database, queue, runs));
        await using (await InProcessWorker.StartAsync(database, queue, slots: 1, probe, ToolRounds))
        {
            await probe.WaitForRunsAsync(TimeSpan.FromMinutes(5));
        }
    }

    /// <summary>Reads the table counters once they include every checkpoint inserted (backends flush them within a second or so).</summary>
    private static async Task<Dictionary<string, TableCounts>> SettledTableCountsAsync(TestDatabase database, long checkpointsInserted)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        while (true)
        {
            var counts = await TableCountsAsync(database);
            if (counts["checkpoints"].Inserted >= checkpointsInserted || DateTime.UtcNow > deadline)
            {
                return counts;
            }

            await poll.WaitForNextTickAsync();
        }
    }

    private static async Task<Dictionary<string, TableCounts>> TableCountsAsync(TestDatabase database)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection))
        {
            await clear.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE schemaname = 'agent' AND relname = ANY($1)",
            connection);
        command.Parameters.Add(new NpgsqlParameter { Value = Tables });
        var counts = Tables.ToDictionary(t => t, _ => new TableCounts(0, 0, 0));
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = new TableCounts(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        }

        return counts;
    }

    private static async Task<List<(string Kind, long Count)>> EventsByKindAsync(TestDatabase database)
    {
        await using var command = database.DataSource.CreateCommand("SELECT kind, count(*) FROM agent.run_events GROUP BY kind ORDER BY kind");
        await using var reader = await command.ExecuteReaderAsync();
        var kinds = new List<(string, long)>();
        while (await reader.ReadAsync())
        {
            kinds.Add((reader.GetString(0), reader.GetInt64(1)));
        }

        return kinds;
    }

    /// <summary>
    /// What the tables' rows hold, on average over the whole database (warm-up included): the row (<c>pg_column_size</c> of
    /// the row value: tuple data without the 23-byte tuple header) and each of its columns, the largest first, and the
    /// table's index count (each index is one B-tree leaf insert per row inserted).
    /// </summary>
    private static async Task<List<RowBytes>> RowBytesAsync(TestDatabase database)
    {
        var result = new List<RowBytes>();
        foreach (var table in Tables)
        {
            var columns = new List<string>();
            await using (var list = database.DataSource.CreateCommand(
                             "SELECT column_name FROM information_schema.columns WHERE table_schema = 'agent' AND table_name = $1 ORDER BY ordinal_position"))
            {
                list.Parameters.Add(new NpgsqlParameter { Value = table });
                await using var reader = await list.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    columns.Add(reader.GetString(0));
                }
            }

            var sizes = string.Join(", ", columns.Select(c => $"coalesce(avg(pg_column_size(t.\"{c}\")), 0)::float8"));
            await using var command = database.DataSource.CreateCommand(
                $"SELECT count(*)::float8, coalesce(avg(pg_column_size(t.*)), 0)::float8, (SELECT count(*) FROM pg_index i WHERE i.indrelid = 'agent.{table}'::regclass)::float8, {sizes} FROM agent.{table} t");
            await using var row = await command.ExecuteReaderAsync();
            await row.ReadAsync();
            var perColumn = columns.Select((c, i) => (Column: c, Bytes: row.GetDouble(3 + i))).OrderByDescending(c => c.Bytes).ToList();
            result.Add(new RowBytes(table, (long)row.GetDouble(0), row.GetDouble(1), (int)row.GetDouble(2), perColumn));
        }

        return result;
    }

    /// <summary>The WAL between two positions by record type (<c>pg_waldump --stats=record</c>), or why it could not be read.</summary>
    private static async Task<string> WalStatsAsync(PrivatePostgres server, string startLsn, string endLsn)
    {
        if (!File.Exists(PgWaldump))
        {
            return $"({PgWaldump} is missing)";
        }

        // The instance's superuser (trust authentication on its private port) may read the data directory's location
        // and switch WAL segments, which flushes the last record from the WAL buffers.
        await using var superuser = NpgsqlDataSource.Create($"Host=127.0.0.1;Port={server.Port};Username=postgres;Database=postgres");
        await using var directory = superuser.CreateCommand("SELECT current_setting('data_directory')");
        var walDirectory = Path.Combine((string)(await directory.ExecuteScalarAsync())!, "pg_wal");
        await using var flush = superuser.CreateCommand("SELECT pg_switch_wal()");
        await flush.ExecuteNonQueryAsync();
        try
        {
            return await PrivateServers.RunAsync(PgWaldump, ["--stats=record", "-p", walDirectory, "-s", startLsn, "-e", endLsn]);
        }
        catch (InvalidOperationException e)
        {
            return "(pg_waldump failed: " + e.Message + ")";
        }
    }

    private static async Task<T> ScalarAsync<T>(TestDatabase database, string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static void Report(
        int runs, long steps, long walBytes, string walStats, Dictionary<string, TableCounts> before, Dictionary<string, TableCounts> after,
        List<(string Kind, long Count)> eventsByKind, List<RowBytes> rowBytes, Distribution roundTrips)
    {
        var perStep = walBytes / (double)steps;
        var md = new StringBuilder();
        md.Append("## What a step writes (counters; private PostgreSQL instance, in-process worker, 1 slot)\n\n");
        md.Append($"{runs} runs of 11 steps ({steps} checkpoints with the runs' inputs: the step commits). Per step commit, the run's ");
        md.Append("claim, input checkpoint and end included:\n\n");
        md.Append($"- WAL: **{Format(perStep)} bytes** ({walBytes:N0} bytes in all).\n");
        md.Append($"- Round trips to PostgreSQL per step commit: mean {Format(roundTrips.Mean)}, max {Format(roundTrips.Max)}.\n");
        md.Append("- Events per step commit by kind: ");
        md.Append(string.Join(", ", eventsByKind.Select(e => $"{e.Kind} {Format(e.Count / (double)steps)}")));
        md.Append(" (the whole database, warm-up included).\n\n");
        md.Append("| table | rows inserted per step | rows updated per step | of the updates, HOT |\n|---|---|---|---|\n");
        foreach (var table in Tables)
        {
            var (b, a) = (before[table], after[table]);
            var updated = a.Updated - b.Updated;
            var hot = a.HotUpdated - b.HotUpdated;
            md.Append(CultureInfo.InvariantCulture, $"| {table} | {Format((a.Inserted - b.Inserted) / (double)steps)} | {Format(updated / (double)steps)} | ");
            md.Append(updated == 0 ? "- |\n" : $"{hot} of {updated} ({100.0 * hot / updated:0} %) |\n");
        }

        md.Append("\nWhat the rows hold, mean bytes over the database (`pg_column_size`; the row without its 23-byte tuple header), ");
        md.Append("columns of 4 bytes or more, the largest first:\n\n| table | rows | indexes | row | columns |\n|---|---|---|---|---|\n");
        foreach (var table in rowBytes)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {table.Table} | {table.Rows} | {table.Indexes} | {Format(table.Row)} | ");
            md.Append(string.Join(", ", table.Columns.Where(c => c.Bytes >= 4).Select(c => $"{c.Column} {Format(c.Bytes)}")));
            md.Append(" |\n");
        }

        md.Append("\nThe same WAL by record type (`pg_waldump --stats=record`; FPI = full-page images written after a checkpoint):\n\n```\n");
        md.Append(walStats.Trim());
        md.Append("\n```\n");
        var runsTable = (Updated: after["runs"].Updated - before["runs"].Updated, Hot: after["runs"].HotUpdated - before["runs"].HotUpdated);
        Write(
            "6-commit",
            new JsonObject
            {
                ["runs"] = runs,
                ["step_commits"] = steps,
                ["wal_bytes"] = walBytes,
                ["wal_bytes_per_step"] = Math.Round(perStep, 1),
                ["round_trips_per_step_commit"] = roundTrips.ToJson(),
                ["runs_updates"] = runsTable.Updated,
                ["runs_hot_updates"] = runsTable.Hot,
                ["events_by_kind"] = new JsonObject([.. eventsByKind.Select(e => KeyValuePair.Create(e.Kind, (JsonNode?)e.Count))]),
                ["wal_stats"] = walStats,
                ["row_bytes"] = new JsonObject([.. rowBytes.Select(t => KeyValuePair.Create(t.Table, (JsonNode?)new JsonObject
                {
                    ["rows"] = t.Rows,
                    ["indexes"] = t.Indexes,
                    ["row"] = Math.Round(t.Row, 1),
                    ["columns"] = new JsonObject([.. t.Columns.Select(c => KeyValuePair.Create(c.Column, (JsonNode?)Math.Round(c.Bytes, 1)))]),
                }))]),
            },
            md.ToString(),
            [Goals.WalPerStep(perStep)]);
    }

    /// <summary>A table's counters from <c>pg_stat_user_tables</c>.</summary>
    private sealed record TableCounts(long Inserted, long Updated, long HotUpdated);

    /// <summary>A table's mean row and column sizes in bytes, and its index count.</summary>
    private sealed record RowBytes(string Table, long Rows, double Row, int Indexes, List<(string Column, double Bytes)> Columns);
}
