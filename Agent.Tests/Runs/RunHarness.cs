using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Persistence;
using Agent.Persistence.Assistants;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Tests.Infrastructure;
using Agent.Worker.Graphs;
using Agent.Worker.Options;
using Agent.Worker.Pricing;
using Agent.Worker.Hosting;
using Agent.Worker.Runs;
using Agent.Worker.Tools;
using Agent.Worker.Webhooks;
using MassTransit;
using MassTransit.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Tests.Runs;

/// <summary>
/// A clock that reads the system clock plus an offset a test can move forward, so a test can make a retry wait or a
/// lease end without waiting for it. Timers (Polly's backoff, deadlines) still run on real time.
/// </summary>
internal sealed class ShiftableClock : TimeProvider
{
    private long offsetTicks;

    /// <summary>Gets how far this clock is ahead of the system clock.</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref offsetTicks));

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Offset;

    /// <summary>Moves the clock forward.</summary>
    /// <param name="by">How far.</param>
    public void Advance(TimeSpan by) => Interlocked.Add(ref offsetTicks, by.Ticks);
}

/// <summary>
/// Runs the real executor in-process against a fresh migrated database, with a scripted model and a test tool, for
/// integration specs of the durable loop (no broker: MassTransit's in-memory test harness records what is sent).
/// </summary>
internal sealed class RunHarness : IAsyncDisposable
{
    private readonly List<ServiceProvider> workers = [];

    private RunHarness(TestDatabase database) => Database = database;

    /// <summary>Gets the database.</summary>
    public TestDatabase Database { get; }

    /// <summary>Gets the clock every worker and store of this harness reads.</summary>
    public ShiftableClock Clock { get; } = new();

    /// <summary>Creates a harness with a fresh database, migrated and seeded.</summary>
    /// <returns>The harness.</returns>
    public static async Task<RunHarness> CreateAsync()
    {
        var database = await TestDatabase.CreateAsync();
        await using var context = database.CreateContext();
        await new AgentDatabaseMigrator(context, TimeProvider.System).MigrateAsync(CancellationToken.None);
        return new RunHarness(database);
    }

    /// <summary>Inserts a pending run asking <paramref name="question"/> on a new (or the given) thread.</summary>
    /// <param name="question">The human message.</param>
    /// <param name="threadId">An existing thread, or null for a new one.</param>
    /// <param name="createdAt">The creation time; default is the harness clock's now.</param>
    /// <param name="config">The run's LangGraph <c>config</c> object, or null.</param>
    /// <returns>The run (tenant <see cref="AgentTenants.Default"/>).</returns>
    public async Task<AgentRun> InsertRunAsync(string question, Guid? threadId = null, DateTimeOffset? createdAt = null, JsonObject? config = null)
    {
        await using var context = Database.CreateContext(AgentTenants.Default);
        var now = createdAt ?? Clock.GetUtcNow();
        if (threadId is null)
        {
            threadId = Guid.CreateVersion7();
            context.Threads.Add(new AgentThread { ThreadId = threadId.Value, CreatedAt = now, UpdatedAt = now, Status = AgentThreadStatus.Busy });
        }

        var input = new JsonObject
        {
            ["input"] = new JsonObject
            {
                ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = question, ["id"] = Guid.NewGuid().ToString() }),
            },
        };
        if (config is not null)
        {
            input["config"] = config;
        }

        var run = new AgentRun
        {
            RunId = Guid.CreateVersion7(),
            ThreadId = threadId.Value,
            AssistantId = SystemAssistants.IdFor(SystemAssistants.AgentGraphId),
            Kwargs = input.ToJsonString(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        context.Runs.Add(run);
        await context.SaveChangesAsync();
        return run;
    }

    /// <summary>Builds an in-process worker (its own service provider) with fast retry settings unless overridden.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tool">The tool.</param>
    /// <param name="configure">Changes the worker settings after the fast defaults.</param>
    /// <param name="instanceId">The lease owner name.</param>
    /// <param name="settings">Configuration, e.g. <c>ModelPrices:{model}:Input</c>.</param>
    /// <returns>The worker; the harness disposes it.</returns>
    public async Task<ServiceProvider> StartWorkerAsync(
        IChatClient model,
        IAgentTool tool,
        Action<AgentWorkerOptions>? configure = null,
        string instanceId = "worker-a",
        IReadOnlyDictionary<string, string?>? settings = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAgentPersistence(Database.ConnectionString);
        services.AddSingleton<TimeProvider>(Clock);
        services.Configure<AgentWorkerOptions>(o =>
        {
            o.InstanceId = instanceId;
            o.RunQueue = "agent-runs-harness";
            o.StepRetries = 2;
            o.RetryBaseDelayMs = 5;
            o.RetryMaxDelaySeconds = 0.05;
            o.RetryWaitSeconds = 30;
            o.RetryWaitMaxSeconds = 60;
            o.RunRetries = 2;
            configure?.Invoke(o);
        });
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build());
        services.AddSingleton(model);
        services.AddSingleton(tool);
        services.AddSingleton<ModelPriceTable>();
        services.AddSingleton<RunningRuns>();
        services.AddWebhookSender();
        services.AddSingleton<WebhookDispatcher>();
        services.AddSingleton<RetrievalAgent>();
        services.AddRunExecutor(AgentRunQueues.Runs);
        services.AddSingleton<StepRetries>();
        services.AddSingleton<WorkerDrain>();
        services.AddMassTransitTestHarness();
        var provider = services.BuildServiceProvider();
        workers.Add(provider);
        await provider.GetRequiredService<ITestHarness>().Start();
        return provider;
    }

    /// <summary>Executes a run on a worker, as the consumer would.</summary>
    /// <param name="worker">The worker.</param>
    /// <param name="run">The run.</param>
    /// <param name="redelivered">Whether the message counts as a broker redelivery.</param>
    /// <param name="stoppingToken">MassTransit's stop token.</param>
    /// <returns>A task completing when the executor returns.</returns>
    public static async Task ExecuteAsync(ServiceProvider worker, AgentRun run, bool redelivered = false, CancellationToken stoppingToken = default)
    {
        await using var scope = worker.CreateAsyncScope();
        var executor = scope.ServiceProvider.GetRequiredService<AgentRunExecutor>();
        await executor.ExecuteAsync(
            new StartAgentRun { RunId = run.RunId, ThreadId = run.ThreadId, RequestedAt = DateTimeOffset.UtcNow }, redelivered, stoppingToken);
    }

    /// <summary>Reads a run.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>The row.</returns>
    public async Task<AgentRun> LoadRunAsync(Guid runId)
    {
        await using var context = Database.CreateContext();
        return await context.Runs.AsNoTracking().SingleAsync(r => r.RunId == runId);
    }

    /// <summary>Reads a run's committed steps in order.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>Step index and node of each checkpoint.</returns>
    public async Task<List<(int Step, string Node)>> StepsAsync(Guid runId)
    {
        await using var context = Database.CreateContext();
        var rows = await context.Checkpoints.AsNoTracking().Where(c => c.RunId == runId)
            .OrderBy(c => c.Sequence).Select(c => new { c.Step, c.Node }).ToListAsync();
        return rows.Select(r => (r.Step, r.Node)).ToList();
    }

    /// <summary>Reads a run's events in order.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>Sequence, kind and data of each event.</returns>
    public async Task<List<(long Sequence, string Kind, JsonObject Data)>> EventsAsync(Guid runId)
    {
        await using var context = Database.CreateContext();
        var rows = await context.RunEvents.AsNoTracking().Where(e => e.RunId == runId)
            .OrderBy(e => e.Sequence).Select(e => new { e.Sequence, e.Kind, e.Data }).ToListAsync();
        return rows.Select(r => (r.Sequence, r.Kind, JsonNode.Parse(r.Data)!.AsObject())).ToList();
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        foreach (var worker in workers)
        {
            await worker.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}
