using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Npgsql;
using static Agent.Benchmarks.BenchmarkOutput;
using static Agent.Benchmarks.Distribution;

namespace Agent.Benchmarks.Processes;

/// <summary>
/// PostgreSQL bytes per step, and how a thread's storage grows with its length: threads of 1, 5, 20 and 50 runs (each
/// run 3 steps plus its input) on real processes; the bytes of their checkpoints and run events, per thread and per run.
/// See BENCHMARKS.md, "Storage".
/// </summary>
[TestFixture]
[Explicit("Benchmark: deploy/local/bench.sh runs it")]
[Category("Benchmark")]
[NonParallelizable]
public sealed class Storage_benchmark
{
    [Test]
    public async Task Measures_bytes_per_step_and_storage_growth_with_thread_length()
    {
        int[] lengths = Pick<int[]>([1, 5, 20], [1, 5, 20, 50]);
        await using var bench = await BenchSystem.StartAsync(slots: lengths.Length);
        var dataSource = bench.System.Database.DataSource;
        var sizeBefore = await RelationBytesAsync(dataSource);

        // Every thread's runs are submitted at once; the thread runs them one after another (multitask "enqueue").
        using var client = bench.System.Client();
        var threads = new List<(int Length, Guid ThreadId, List<Guid> RunIds)>();
        foreach (var length in lengths)
        {
            var threadId = Guid.NewGuid();
            var runIds = new List<Guid>();
            for (var i = 0; i < length; i++)
            {
                runIds.Add(await BenchSystem.SubmitAsync(client, BenchSystem.Question(i), threadId));
            }

            threads.Add((length, threadId, runIds));
        }

        await bench.WaitForRunsToEndAsync([.. threads.SelectMany(t => t.RunIds)], TimeSpan.FromMinutes(10));
        var sizeAfter = await RelationBytesAsync(dataSource);

        var perThread = new List<ThreadBytes>();
        foreach (var (length, threadId, _) in threads)
        {
            perThread.Add(await ThreadBytesAsync(dataSource, threadId, length));
        }

        var longest = perThread[^1];
        var statuses = (await RunRecords.ReadAsync(dataSource, [.. threads.SelectMany(t => t.RunIds)])).Runs.Select(r => r.Status);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses, Is.All.EqualTo(AgentRunStatus.Success));
            Assert.That(perThread.Select(t => t.Checkpoints), Is.EqualTo(lengths.Select(l => l * 5)), "5 checkpoints per run: input checkpoint, input, agent, tools, agent");
        }

        Report(lengths, perThread, longest, sizeBefore, sizeAfter);
    }

    /// <summary>Bytes on disk of the checkpoint and event tables, with their TOAST and indexes.</summary>
    private static async Task<(long Checkpoints, long RunEvents)> RelationBytesAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT pg_total_relation_size('agent.checkpoints'), pg_total_relation_size('agent.run_events')");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Row bytes (<c>pg_column_size</c> of each row, compressed values as stored) of one thread, per run in order.</summary>
    private static async Task<ThreadBytes> ThreadBytesAsync(NpgsqlDataSource dataSource, Guid threadId, int length)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT r.run_id,
                   pg_column_size(r.*) AS run_bytes,
                   (SELECT count(*) FROM agent.checkpoints c WHERE c.run_id = r.run_id) AS checkpoints,
                   (SELECT coalesce(sum(pg_column_size(c.*)), 0) FROM agent.checkpoints c WHERE c.run_id = r.run_id) AS checkpoint_bytes,
                   (SELECT coalesce(sum(pg_column_size(e.*)), 0) FROM agent.run_events e WHERE e.run_id = r.run_id) AS event_bytes
              FROM agent.runs r
             WHERE r.thread_id = $1
             ORDER BY r.created_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = threadId });
        var runs = new List<RunBytes>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                runs.Add(new RunBytes(reader.GetInt32(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
            }
        }

        // What storing the whole state at every checkpoint would take (LangGraph's PostgresSaver does): the text of the
        // thread's messages as they stood after each checkpoint, summed.
        await using var deltas = dataSource.CreateCommand(
            "SELECT delta::text FROM agent.checkpoints WHERE thread_id = $1 ORDER BY sequence");
        deltas.Parameters.Add(new NpgsqlParameter { Value = threadId });
        long fullState = 0;
        long stateSoFar = 0;
        long deltaText = 0;
        await using (var reader = await deltas.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                var messages = JsonNode.Parse(reader.GetString(0))!["messages"]!.AsArray();
                var added = messages.Sum(m => (long)Encoding.UTF8.GetByteCount(m!.ToJsonString()) + 1);
                stateSoFar += added;
                fullState += stateSoFar;
                deltaText += added;
            }
        }

        return new ThreadBytes(length, runs, deltaText, fullState);
    }

    private static void Report(int[] lengths, List<ThreadBytes> threads, ThreadBytes longest, (long Checkpoints, long RunEvents) before, (long Checkpoints, long RunEvents) after)
    {
        var steps = threads.Sum(t => t.Checkpoints);
        var diskPerStep = (after.Checkpoints - before.Checkpoints + after.RunEvents - before.RunEvents) / (double)steps;
        var rowPerStep = threads.Sum(t => t.CheckpointBytes + t.EventBytes) / (double)steps;
        var (slope, intercept, r2) = Fit(threads.Select(t => ((double)t.Length, (double)(t.CheckpointBytes + t.EventBytes))).ToList());
        var window = Math.Max(1, longest.Length / 5);
        var firstRuns = longest.Runs.Take(window).Average(r => (double)(r.CheckpointBytes + r.EventBytes));
        var lastRuns = longest.Runs.TakeLast(window).Average(r => (double)(r.CheckpointBytes + r.EventBytes));
        var growth = lastRuns / firstRuns;

        var md = new StringBuilder();
        md.Append("## Storage (real processes)\n\n");
        md.Append("Threads of ");
        md.Append(string.Join(", ", lengths));
        md.Append(" runs; each run stores 4 checkpoints (input, agent, tools, agent) and 5 events. Row bytes are `pg_column_size` ");
        md.Append("of each row (values as stored, compressed where PostgreSQL compressed them).\n\n");
        md.Append($"- Bytes per step (checkpoint + its event), rows: **{Format(rowPerStep)}**; on disk (table + TOAST + index growth): ");
        md.Append($"**{Format(diskPerStep)}** over {steps} steps.\n");
        md.Append($"- Linear fit of a thread's checkpoint + event bytes against its runs: {Format(slope)} bytes per run + {Format(intercept)}, R² = {r2:0.0000}.\n");
        md.Append($"- In the {longest.Length}-run thread, the last {window} runs stored {Format(lastRuns)} bytes each, the first {window} {Format(firstRuns)} ");
        md.Append($"(ratio {growth:0.00}): a run's cost does not depend on how long the thread already is.\n\n");
        md.Append("| runs in thread | checkpoints | checkpoint bytes | event bytes | run rows bytes | bytes per run | full state per checkpoint would be |\n");
        md.Append("|---|---|---|---|---|---|---|\n");
        foreach (var t in threads)
        {
            md.Append($"| {t.Length} | {t.Checkpoints} | {Format(t.CheckpointBytes)} | {Format(t.EventBytes)} | {Format(t.RunRowBytes)} | ");
            md.Append($"{Format((t.CheckpointBytes + t.EventBytes) / (double)t.Length)} | {Format(t.FullStateText)} (deltas: {Format(t.DeltaText)}; JSON text) |\n");
        }

        Write(
            "5-storage",
            new JsonObject
            {
                ["bytes_per_step_rows"] = Math.Round(rowPerStep, 1),
                ["bytes_per_step_disk"] = Math.Round(diskPerStep, 1),
                ["disk_before"] = new JsonObject { ["checkpoints"] = before.Checkpoints, ["run_events"] = before.RunEvents },
                ["disk_after"] = new JsonObject { ["checkpoints"] = after.Checkpoints, ["run_events"] = after.RunEvents },
                ["fit"] = new JsonObject { ["bytes_per_run"] = Math.Round(slope, 1), ["intercept"] = Math.Round(intercept, 1), ["r2"] = Math.Round(r2, 6) },
                ["threads"] = new JsonArray([.. threads.Select(t => (JsonNode)new JsonObject
                {
                    ["runs"] = t.Length,
                    ["checkpoints"] = t.Checkpoints,
                    ["checkpoint_bytes"] = t.CheckpointBytes,
                    ["event_bytes"] = t.EventBytes,
                    ["run_row_bytes"] = t.RunRowBytes,
                    ["delta_text_bytes"] = t.DeltaText,
                    ["full_state_text_bytes"] = t.FullStateText,
                    ["per_run_bytes"] = new JsonArray([.. t.Runs.Select(r => (JsonNode)(r.CheckpointBytes + r.EventBytes))]),
                })]),
            },
            md.ToString(),
            [
                Goals.StorageLinear(
                    $"{Format(rowPerStep)} B/step (rows), {Format(diskPerStep)} B/step (disk); R² {r2:0.0000}; last/first runs of a {longest.Length}-run thread {growth:0.00}x",
                    r2 >= 0.99 && growth <= 1.25),
            ]);
    }

    /// <summary>Least squares y = slope x + intercept, with R².</summary>
    private static (double Slope, double Intercept, double R2) Fit(List<(double X, double Y)> points)
    {
        var mx = points.Average(p => p.X);
        var my = points.Average(p => p.Y);
        var sxy = points.Sum(p => (p.X - mx) * (p.Y - my));
        var sxx = points.Sum(p => (p.X - mx) * (p.X - mx));
        var slope = sxy / sxx;
        var intercept = my - (slope * mx);
        var total = points.Sum(p => (p.Y - my) * (p.Y - my));
        var residual = points.Sum(p => Math.Pow(p.Y - ((slope * p.X) + intercept), 2));
        return (slope, intercept, total == 0 ? 1 : 1 - (residual / total));
    }

    private sealed record RunBytes(int RunRowBytes, long Checkpoints, long CheckpointBytes, long EventBytes);

    private sealed record ThreadBytes(int Length, List<RunBytes> Runs, long DeltaText, long FullStateText)
    {
        public long Checkpoints => Runs.Sum(r => r.Checkpoints);

        public long CheckpointBytes => Runs.Sum(r => r.CheckpointBytes);

        public long EventBytes => Runs.Sum(r => r.EventBytes);

        public long RunRowBytes => Runs.Sum(r => (long)r.RunRowBytes);
    }
}
