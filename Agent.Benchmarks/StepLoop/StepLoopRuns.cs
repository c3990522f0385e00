using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Persistence.Assistants;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Tests.Infrastructure;
using MassTransit;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// Creates the step-loop benchmark's runs: pending rows as the API would commit them (one thread each, input
/// <c>bench:{run_id}</c>, tenant <c>default</c>), and their <see cref="StartAgentRun"/> commands queued before any worker starts, so the
/// workers never wait for work while they are measured.
/// </summary>
internal static class StepLoopRuns
{
    private const string Prefix = "bench:";

    /// <summary>Reads the run id from the input text <c>bench:{run_id}</c>.</summary>
    /// <param name="input">The first user message's text.</param>
    /// <returns>The run id.</returns>
    public static Guid RunIdOf(string input) => Guid.Parse(input.AsSpan(Prefix.Length));

    /// <summary>Commits <paramref name="count"/> pending runs and queues their start commands on <paramref name="queue"/>.</summary>
    /// <param name="database">The database.</param>
    /// <param name="queue">The run queue.</param>
    /// <param name="count">How many runs.</param>
    /// <returns>The run ids.</returns>
    public static async Task<IReadOnlyList<Guid>> QueueAsync(TestDatabase database, string queue, int count)
    {
        var runs = await InsertAsync(database, count);
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(new Uri(TestEnvironment.RabbitMqUri)));
        await bus.StartAsync();
        try
        {
            var endpoint = await bus.GetSendEndpoint(new Uri("queue:" + queue));
            foreach (var run in runs)
            {
                await endpoint.Send(new StartAgentRun { RunId = run.RunId, ThreadId = run.ThreadId, RequestedAt = run.CreatedAt });
            }
        }
        finally
        {
            await bus.StopAsync();
        }

        return [.. runs.Select(r => r.RunId)];
    }

    /// <summary>
    /// Marks runs as ended (success, lease given up) without their steps: for runs measured with persistence off,
    /// which would otherwise stay <c>running</c> with a lease that expires, and be swept up again.
    /// </summary>
    /// <param name="database">The database.</param>
    /// <param name="runIds">The runs.</param>
    /// <returns>A task that completes when they are marked.</returns>
    public static async Task EndAsync(TestDatabase database, IReadOnlyList<Guid> runIds)
    {
        await using var command = database.DataSource.CreateCommand(
            "UPDATE agent.runs SET status = 'success', lease_owner = NULL, lease_expires_at = NULL, ended_at = now() WHERE run_id = ANY($1)");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = runIds.ToArray() });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Commits <paramref name="count"/> pending runs, each on a thread of its own, as the API would.</summary>
    /// <param name="database">The database.</param>
    /// <param name="count">How many runs.</param>
    /// <returns>The runs.</returns>
    public static async Task<IReadOnlyList<AgentRun>> InsertAsync(TestDatabase database, int count)
    {
        var now = DateTimeOffset.UtcNow;
        var runs = new List<AgentRun>(count);
        await using (var context = database.CreateContext())
        {
            for (var i = 0; i < count; i++)
            {
                var threadId = Guid.CreateVersion7();
                var runId = Guid.CreateVersion7();
                var kwargs = new JsonObject
                {
                    ["input"] = new JsonObject
                    {
                        ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = Prefix + runId, ["id"] = Guid.NewGuid().ToString() }),
                    },
                };
                context.Threads.Add(new AgentThread { ThreadId = threadId, TenantId = AgentTenants.Default, CreatedAt = now, UpdatedAt = now, Status = AgentThreadStatus.Busy });
                runs.Add(new AgentRun
                {
                    RunId = runId,
                    ThreadId = threadId,
                    TenantId = AgentTenants.Default,
                    AssistantId = SystemAssistants.IdFor(SystemAssistants.AgentGraphId),
                    Kwargs = kwargs.ToJsonString(),
                    CreatedAt = now,
                    UpdatedAt = now,
                });
            }

            context.Runs.AddRange(runs);
            await context.SaveChangesAsync();
        }

        return runs;
    }
}
