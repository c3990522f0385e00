using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Npgsql;

namespace Agent.Benchmarks.Processes;

/// <summary>
/// What PostgreSQL recorded of a set of runs: their times, their step checkpoints' commit times and the latency of
/// each step's model or tool calls (from the step events). From these come throughput and, per step, the time the
/// worker spent outside model and tool calls: checkpoint k's time minus checkpoint k-1's, minus step k's call latency.
/// </summary>
/// <param name="Runs">Each run's status, start and end.</param>
/// <param name="Steps">Each agent/tools step: run, step index, commit time (the start of its transaction), call latency (ms).</param>
internal sealed record RunRecords(
    IReadOnlyList<(Guid RunId, AgentRunStatus Status, DateTimeOffset StartedAt, DateTimeOffset EndedAt)> Runs,
    IReadOnlyList<(Guid RunId, int Step, DateTimeOffset CommittedAt, double CallMs)> Steps)
{
    /// <summary>Reads the records of <paramref name="runIds"/>.</summary>
    /// <param name="dataSource">The database.</param>
    /// <param name="runIds">The runs.</param>
    /// <returns>The records.</returns>
    public static async Task<RunRecords> ReadAsync(NpgsqlDataSource dataSource, IReadOnlyCollection<Guid> runIds)
    {
        var ids = runIds.ToArray();
        var runs = new List<(Guid, AgentRunStatus, DateTimeOffset, DateTimeOffset)>();
        await using (var command = dataSource.CreateCommand(
                         "SELECT run_id, status, started_at, ended_at FROM agent.runs WHERE run_id = ANY($1)"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = ids });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                runs.Add((reader.GetGuid(0), WireName.Parse<AgentRunStatus>(reader.GetString(1)), await reader.GetFieldValueAsync<DateTimeOffset>(2), await reader.GetFieldValueAsync<DateTimeOffset>(3)));
            }
        }

        var steps = new List<(Guid, int, DateTimeOffset, double)>();
        await using (var command = dataSource.CreateCommand(
                         "SELECT run_id, created_at, data FROM agent.run_events WHERE run_id = ANY($1) AND kind = 'step'"))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = ids });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var data = JsonNode.Parse(reader.GetString(2))!;
                if (data["node"]!.GetValue<string>() == "__start__")
                {
                    continue;
                }

                var callMs = data["model_call"]?["latency_ms"]?.GetValue<double>()
                             ?? data["tool_calls"]!.AsArray().Sum(c => c!["latency_ms"]!.GetValue<double>());
                steps.Add((reader.GetGuid(0), data["step"]!.GetValue<int>(), await reader.GetFieldValueAsync<DateTimeOffset>(1), callMs));
            }
        }

        return new RunRecords(runs, steps);
    }

    /// <summary>
    /// Gets the steady state of a batch submitted all at once: from the commit of its first 10 % of steps (every slot is
    /// busy) to the start of its last run (after it the queue is empty and slots fall idle); the whole batch when that is
    /// under 0.5 s.
    /// </summary>
    /// <returns>The window.</returns>
    public (DateTimeOffset From, DateTimeOffset To) SteadyWindow()
    {
        var commits = Steps.Select(s => s.CommittedAt).Order().ToList();
        var from = commits[commits.Count / 10];
        var to = Runs.Max(r => r.StartedAt);
        return (to - from).TotalSeconds >= 0.5 ? (from, to) : (Runs.Min(r => r.StartedAt), Runs.Max(r => r.EndedAt));
    }

    /// <summary>Gets throughput over a window: runs that ended in it and steps committed in it, per second.</summary>
    /// <param name="from">The window's start.</param>
    /// <param name="to">The window's end.</param>
    /// <returns>Runs ended per second, steps committed per second, and the steps counted.</returns>
    public (double RunsPerSecond, double StepsPerSecond, int Steps) Throughput(DateTimeOffset from, DateTimeOffset to)
    {
        var seconds = (to - from).TotalSeconds;
        var steps = Steps.Count(s => s.CommittedAt >= from && s.CommittedAt <= to);
        return (Runs.Count(r => r.EndedAt >= from && r.EndedAt <= to) / seconds, steps / seconds, steps);
    }

    /// <summary>
    /// Gets each step's time outside its model or tool call: the time between the previous checkpoint's commit and this
    /// one's, minus this step's call latency. It holds the previous commit, its event publish, the loop's work, and the
    /// HTTP and SDK work around the call that the call's latency does not cover. The first step (after the input
    /// checkpoint) is left out: the claim and state load precede it.
    /// </summary>
    /// <param name="from">Only runs started from then on count.</param>
    /// <param name="to">Only runs started until then count.</param>
    /// <returns>One figure per step, in ms.</returns>
    public IEnumerable<double> StepOverheadMs(DateTimeOffset from, DateTimeOffset to)
    {
        var started = Runs.Where(r => r.StartedAt >= from && r.StartedAt <= to).Select(r => r.RunId).ToHashSet();
        return Steps.Where(s => started.Contains(s.RunId)).GroupBy(s => s.RunId).SelectMany(run =>
        {
            var ordered = run.OrderBy(s => s.Step).ToList();
            return ordered.Zip(ordered.Skip(1), (previous, step) => (step.CommittedAt - previous.CommittedAt).TotalMilliseconds - step.CallMs);
        });
    }
}
