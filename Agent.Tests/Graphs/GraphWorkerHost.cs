using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Tests.Infrastructure;
using Agent.Worker.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Agent.Tests.Graphs;

/// <summary>
/// The real worker host in the test process, composed as Agent.Worker's <c>run</c> command composes it
/// (<c>AddAgentWorkerBasics</c>, <c>AddAgentRunExecution</c>: executor, MassTransit on the real RabbitMQ with a run
/// queue of its own) on a fresh migrated database, plus what a deployer adds (graphs, tools) and a scripted model.
/// Runs are inserted as the API accepts them and sent through the run queue.
/// </summary>
internal sealed class GraphWorkerHost : IAsyncDisposable
{
    private readonly IHost host;

    private GraphWorkerHost(TestDatabase database, IHost host)
    {
        Database = database;
        this.host = host;
    }

    /// <summary>Gets the database.</summary>
    public TestDatabase Database { get; }

    /// <summary>Starts a worker host.</summary>
    /// <param name="model">The model.</param>
    /// <param name="deploy">Adds the deployer's graphs and tools.</param>
    /// <param name="settings">More configuration keys (e.g. <c>Mcp:Servers:docs:Url</c>), or null.</param>
    /// <returns>The started host (bus consuming).</returns>
    public static async Task<GraphWorkerHost> StartAsync(
        IChatClient model, Action<IServiceCollection> deploy, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var database = await TestDatabase.CreateAsync();
        await using (var context = database.CreateContext())
        {
            await new AgentDatabaseMigrator(context, TimeProvider.System).MigrateAsync(CancellationToken.None);
        }

        var configuration = new Dictionary<string, string?>
        {
            ["Messaging:RunQueue"] = "agent-runs-graphs-" + Guid.NewGuid().ToString("N")[..8],
            ["AgentWorker:InstanceId"] = "graph-worker",
            ["Embeddings:Provider"] = "None",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            configuration[key] = value;
        }

        var builder = InProcessWorkerHost.CreateBuilder(database, configuration);
        builder.Services.AddLogging();
        builder.Services.AddAgentRunExecution(builder.Configuration);
        builder.Services.AddSingleton(model);
        deploy(builder.Services);
        var host = builder.Build();
        try
        {
            await host.StartAsync();
        }
        catch
        {
            host.Dispose();
            await database.DisposeAsync();
            throw;
        }

        return new GraphWorkerHost(database, host);
    }

    /// <summary>Inserts an assistant of a graph (tenant <see cref="AgentTenants.Default"/>).</summary>
    /// <param name="graphId">The graph id.</param>
    /// <param name="config">The assistant's <c>config</c>, or null for <c>{}</c>.</param>
    /// <returns>The assistant id.</returns>
    public async Task<Guid> CreateAssistantAsync(string graphId, JsonObject? config = null)
    {
        await using var context = Database.CreateContext(AgentTenants.Default);
        var now = DateTimeOffset.UtcNow;
        var assistant = new Assistant
        {
            AssistantId = Guid.CreateVersion7(),
            TenantId = AgentTenants.Default,
            GraphId = graphId,
            Name = graphId,
            Config = (config ?? []).ToJsonString(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        context.Assistants.Add(assistant);
        await context.SaveChangesAsync();
        return assistant.AssistantId;
    }

    /// <summary>Inserts a pending run of an assistant and sends it to the run queue.</summary>
    /// <param name="assistantId">The assistant.</param>
    /// <param name="input">The run's <c>input</c> (a state update, e.g. <c>{"messages": [...]}</c>).</param>
    /// <param name="threadId">An existing thread, or null for a new one.</param>
    /// <returns>The run.</returns>
    public Task<AgentRun> StartRunAsync(Guid assistantId, JsonObject input, Guid? threadId = null) =>
        SubmitAsync(assistantId, new JsonObject { ["input"] = input }, threadId);

    /// <summary>
    /// Inserts a pending run with the given kwargs (as the API stores them: <c>input</c>, <c>command</c>,
    /// <c>interrupt_before</c> ...) and sends it to the run queue; an existing thread goes <c>busy</c> as the API sets it.
    /// </summary>
    /// <param name="assistantId">The assistant.</param>
    /// <param name="kwargs">The run's kwargs.</param>
    /// <param name="threadId">An existing thread, or null for a new one.</param>
    /// <returns>The run.</returns>
    public async Task<AgentRun> SubmitAsync(Guid assistantId, JsonObject kwargs, Guid? threadId = null)
    {
        await using var context = Database.CreateContext(AgentTenants.Default);
        var now = DateTimeOffset.UtcNow;
        if (threadId is null)
        {
            threadId = Guid.CreateVersion7();
            context.Threads.Add(new AgentThread { ThreadId = threadId.Value, CreatedAt = now, UpdatedAt = now, Status = AgentThreadStatus.Busy });
        }
        else
        {
            var thread = await context.Threads.SingleAsync(t => t.ThreadId == threadId);
            thread.Status = AgentThreadStatus.Busy;
        }

        var run = new AgentRun
        {
            RunId = Guid.CreateVersion7(),
            ThreadId = threadId.Value,
            AssistantId = assistantId,
            Kwargs = kwargs.ToJsonString(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        context.Runs.Add(run);
        await context.SaveChangesAsync();
        await host.Services.GetRequiredService<RunDispatcher>().TryDispatchAsync(run.RunId, run.ThreadId, run.Queue, Guid.NewGuid(), CancellationToken.None);
        return run;
    }

    /// <summary>Waits until a run is no longer pending or running.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>The run's row.</returns>
    public async Task<AgentRun> WaitForEndAsync(Guid runId)
    {
        var run = await Poll.UntilAsync(
            async () =>
            {
                await using var context = Database.CreateContext();
                return await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == runId);
            },
            r => r.Status != AgentRunStatus.Pending && r.Status != AgentRunStatus.Running,
            TimeSpan.FromSeconds(60));
        Assert.That(run.Status, Is.Not.EqualTo(AgentRunStatus.Pending).And.Not.EqualTo(AgentRunStatus.Running), "the run did not end in 60 s");
        return run;
    }

    /// <summary>Reads a run's checkpoints: node and delta of each, in order.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>Node and delta (<c>{"messages": [...], channel: value ...}</c>) of each checkpoint.</returns>
    public async Task<List<(string Node, JsonObject Delta)>> CheckpointsAsync(Guid runId)
    {
        await using var context = Database.CreateContext();
        var rows = await context.Checkpoints.AsNoTracking().Where(c => c.RunId == runId)
            .OrderBy(c => c.Sequence).Select(c => new { c.Node, c.Delta }).ToListAsync();
        return rows.Select(r => (r.Node, JsonNode.Parse(r.Delta)!.AsObject())).ToList();
    }

    /// <summary>Reads a thread's status and its head checkpoint (null when it has none).</summary>
    /// <param name="threadId">The thread.</param>
    /// <returns>The status and the head.</returns>
    public async Task<(AgentThreadStatus Status, Checkpoint? Head)> ThreadAsync(Guid threadId)
    {
        await using var context = Database.CreateContext();
        var status = await context.Threads.AsNoTracking().Where(t => t.ThreadId == threadId).Select(t => t.Status).SingleAsync();
        var head = await context.Checkpoints.AsNoTracking().Where(c => c.ThreadId == threadId).OrderByDescending(c => c.Sequence).FirstOrDefaultAsync();
        return (status, head);
    }

    /// <summary>Counts a run's model call (usage) rows.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>The count.</returns>
    public async Task<int> ModelCallsAsync(Guid runId)
    {
        await using var context = Database.CreateContext();
        return await context.ModelCalls.AsNoTracking().CountAsync(m => m.RunId == runId);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        await Database.DisposeAsync();
    }
}
