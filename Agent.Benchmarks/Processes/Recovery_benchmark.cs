using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Agent.Tests.Fakes;
using Npgsql;
using static Agent.Benchmarks.BenchmarkOutput;
using static Agent.Benchmarks.Distribution;

namespace Agent.Benchmarks.Processes;

/// <summary>
/// Recovery time after kill -9, with a cold standby: a run's first model call is held at the fake server; while it is
/// held, a fresh worker process is started (it has never run anything: no JIT, no first queries); the worker holding
/// the run is killed (SIGKILL); the time runs until the fresh worker commits the run's next step. Repeated; the worker
/// that resumed holds the next run. See BENCHMARKS.md, "Recovery".
/// </summary>
[TestFixture]
[Explicit("Benchmark: deploy/local/bench.sh runs it")]
[Category("Benchmark")]
[NonParallelizable]
public sealed class Recovery_benchmark
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Test]
    public async Task Measures_time_from_kill_9_to_the_next_step_committed_by_another_worker()
    {
        await using var bench = await BenchSystem.StartAsync(slots: 1);
        using var client = bench.System.Client();
        // The API and the first owner run a few runs first: the figure is the standby's, not the API's first requests.
        await bench.WaitForRunsToEndAsync(await bench.SubmitManyAsync(3, _ => "What does VACUUM do?"), Deadline);
        var samples = new List<Kill>();
        for (var i = 0; i < Pick(3, 10); i++)
        {
            samples.Add(await KillMidModelCallAsync(bench, client));
        }

        using (Assert.EnterMultipleScope())
        {
            Assert.That(samples.Select(s => s.Status), Is.All.EqualTo(AgentRunStatus.Success));
            Assert.That(samples.Select(s => s.Attempt), Is.All.EqualTo(2), "each run is claimed once more after its kill");
            Assert.That(samples.Select(s => s.ModelCalls), Is.All.EqualTo(3), "the interrupted model call runs once more, nothing else");
            Assert.That(samples.Select(s => s.ResumedBy), Has.None.EqualTo(null));
            Assert.That(samples.Where(s => s.ResumedBy == s.Killed), Is.Empty, "another worker commits the next step");
        }

        Report(samples);
    }

    private static async Task<Kill> KillMidModelCallAsync(BenchSystem bench, HttpClient client)
    {
        var dataSource = bench.System.Database.DataSource;
        var held = new TaskCompletionSource();
        var before = bench.Model.Requests.Count;
        bench.Model.Enqueue(FakeChatReply.ToolCall("search_documents", new { query = "VACUUM", k = 3 }) with { Gate = held.Task });
        var runId = await BenchSystem.SubmitAsync(client, "What does VACUUM do?");
        using (var wait = new CancellationTokenSource(Deadline))
        {
            await bench.Model.WaitForRequestsAsync(before + 1, wait.Token);
        }

        var owner = await ScalarAsync<string>(dataSource, "SELECT lease_owner FROM agent.runs WHERE run_id = $1", runId);
        // The standby starts only now, so it is cold and the run cannot have gone to it: it has run nothing.
        await bench.StartWorkersAsync(1, slots: 1);
        bench.Kill(owner);
        var killedAt = DateTimeOffset.UtcNow;
        held.SetResult();

        var resumedAt = await PollAsync(
            async () => await CommittedAtAsync(dataSource, runId, step: 1),
            bench.System.Logs);
        // The resuming worker's log says when it claimed the run: the split between redelivery and resumption.
        var (resumedBy, claimedAt) = bench.LiveWorkers
            .Select(w => (w.InstanceId, ClaimedAt: ClaimLoggedAt(w.Process.Output, runId)))
            .FirstOrDefault(w => w.ClaimedAt is not null);
        await bench.WaitForRunsToEndAsync([runId], Deadline);
        var status = await ScalarAsync<string>(dataSource, "SELECT status FROM agent.runs WHERE run_id = $1", runId);
        var attempt = await ScalarAsync<int>(dataSource, "SELECT attempt FROM agent.runs WHERE run_id = $1", runId);
        return new Kill(
            runId, owner, resumedBy, (resumedAt - killedAt).TotalMilliseconds, ((claimedAt ?? resumedAt) - killedAt).TotalMilliseconds,
            WireName.Parse<AgentRunStatus>(status), attempt, bench.Model.Requests.Count - before);
    }

    /// <summary>Finds the worker's JSON log line "Run {run} claimed with epoch ..." and returns its timestamp.</summary>
    private static DateTimeOffset? ClaimLoggedAt(string output, Guid runId)
    {
        var claimed = $"Run {runId} claimed";
        var line = output.Split('\n').FirstOrDefault(l => l.Contains(claimed, StringComparison.Ordinal));
        return line is null ? null : JsonNode.Parse(line)!["@t"]!.GetValue<DateTimeOffset>();
    }

    private static async Task<T> PollAsync<T>(Func<Task<T?>> read, Func<string> logs)
        where T : struct
    {
        var deadline = DateTime.UtcNow + Deadline;
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (true)
        {
            if (await read() is { } value)
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"No resumed step within {Deadline}.\n{logs()}");
            }

            await poll.WaitForNextTickAsync();
        }
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, Guid runId) =>
        (T)(await ExecuteScalarAsync(dataSource, sql, runId) ?? throw new InvalidOperationException("No row for " + sql));

    private static async Task<DateTimeOffset?> CommittedAtAsync(NpgsqlDataSource dataSource, Guid runId, int step)
    {
        await using var command = dataSource.CreateCommand("SELECT created_at FROM agent.checkpoints WHERE run_id = $1 AND step = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        command.Parameters.Add(new NpgsqlParameter { Value = step });
        await using var reader = await command.ExecuteReaderAsync();
        return await reader.ReadAsync() ? await reader.GetFieldValueAsync<DateTimeOffset>(0) : null;
    }

    private static async Task<object?> ExecuteScalarAsync(NpgsqlDataSource dataSource, string sql, Guid runId)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        return await command.ExecuteScalarAsync();
    }

    private static void Report(List<Kill> kills)
    {
        var recovery = Of(kills.Select(k => k.RecoveryMs));
        var claim = Of(kills.Select(k => k.ClaimMs));
        var md = new StringBuilder();
        md.Append("## Recovery after kill -9 (real processes)\n\n");
        md.Append("A run's first model call is held at the fake server; meanwhile a fresh worker process starts (1 slot) and reports ready: ");
        md.Append("a cold standby, which has run nothing. The worker holding the run gets SIGKILL; measured from the kill to the commit of ");
        md.Append("the run's next step (`checkpoints.created_at` of step 1) by the standby, which received the redelivered command, ");
        md.Append("took the lease over (epoch + 1) and repeated the model call (0 ms).\n\n");
        md.Append("| from the kill to | kills | p50 ms | p90 ms | max ms | mean ms |\n|---|---|---|---|---|---|\n");
        foreach (var (label, d) in new[] { ("the standby's claim (its log)", claim), ("the next step committed", recovery) })
        {
            md.Append($"| {label} | {d.Count} | {Format(d.P50)} | {Format(d.P90)} | {Format(d.Max)} | {Format(d.Mean)} |\n");
        }

        Write(
            "4-recovery",
            new JsonObject
            {
                ["recovery_ms"] = recovery.ToJson(),
                ["kill_to_claim_ms"] = claim.ToJson(),
                ["kills"] = new JsonArray([.. kills.Select(k => (JsonNode)new JsonObject
                {
                    ["run_id"] = k.RunId.ToString(),
                    ["killed"] = k.Killed,
                    ["resumed_by"] = k.ResumedBy,
                    ["recovery_ms"] = Math.Round(k.RecoveryMs, 3),
                    ["kill_to_claim_ms"] = Math.Round(k.ClaimMs, 3),
                    ["model_calls"] = k.ModelCalls,
                })]),
            },
            md.ToString(),
            [Goals.Recovery(recovery.P50, recovery.Count)]);
    }

    /// <summary>One kill: the run, the worker killed, the one that resumed, kill to claim and kill to next step (ms).</summary>
    private sealed record Kill(
        Guid RunId, string Killed, string? ResumedBy, double RecoveryMs, double ClaimMs, AgentRunStatus Status, int Attempt, int ModelCalls);
}
