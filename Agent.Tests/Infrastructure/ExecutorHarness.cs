using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Persistence.Assistants;
using Agent.Persistence.Runs;
using Agent.Persistence.Tenancy;
using Agent.Persistence.Threads;
using Agent.Worker.Agent;
using Agent.Worker.Models;
using Agent.Worker.Runs;
using Agent.Worker.Tools;
using MassTransit;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Tests.Infrastructure;

/// <summary>
/// Runs the real <see cref="AgentRunExecutor"/> in process against a <see cref="TestDatabase"/>, with a given model
/// and tool and an in-memory bus: for specs of the durable loop that need no worker process.
/// </summary>
/// <param name="database">The migrated database (system assistant seeded).</param>
internal sealed class ExecutorHarness(TestDatabase database)
{
    /// <summary>Inserts a thread (unless given) and a pending run asking <paramref name="question"/>.</summary>
    /// <param name="question">The human message.</param>
    /// <param name="config">The run's LangGraph <c>config</c> object, or null.</param>
    /// <param name="threadId">An existing thread of the default tenant, or null for a new one.</param>
    /// <returns>The run row.</returns>
    public async Task<AgentRun> InsertRunAsync(string question, JsonObject? config = null, Guid? threadId = null)
    {
        await using var context = database.CreateContext(AgentTenants.Default);
        var now = DateTimeOffset.UtcNow;
        if (threadId is null)
        {
            threadId = Guid.CreateVersion7();
            context.Threads.Add(new AgentThread { ThreadId = threadId.Value, CreatedAt = now, UpdatedAt = now, Status = AgentThreadStatus.Busy });
        }

        var kwargs = new JsonObject
        {
            ["input"] = new JsonObject
            {
                ["messages"] = new JsonArray(new JsonObject { ["type"] = "human", ["content"] = question, ["id"] = Guid.NewGuid().ToString() }),
            },
        };
        if (config is not null)
        {
            kwargs["config"] = config;
        }

        var run = new AgentRun
        {
            RunId = Guid.CreateVersion7(),
            ThreadId = threadId.Value,
            AssistantId = SystemAssistants.IdFor(SystemAssistants.AgentGraphId),
            Kwargs = kwargs.ToJsonString(),
            CreatedAt = now,
            UpdatedAt = now,
        };
        context.Runs.Add(run);
        await context.SaveChangesAsync();
        return run;
    }

    /// <summary>Builds a worker's services around <paramref name="model"/> and <paramref name="tool"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tool">The one tool.</param>
    /// <param name="instanceId">The worker instance id (lease owner).</param>
    /// <param name="settings">Extra configuration, e.g. <c>ModelPrices:{model}:Input</c>.</param>
    /// <returns>The provider; the caller disposes it.</returns>
    public ServiceProvider BuildWorker(
        IChatClient model, IAgentTool tool, string instanceId = "worker-a", IReadOnlyDictionary<string, string?>? settings = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddAgentPersistence(database.ConnectionString);
        services.Configure<AgentWorkerOptions>(o => o.InstanceId = instanceId);
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build());
        services.AddSingleton(model);
        services.AddSingleton(tool);
        services.AddSingleton<ModelPriceTable>();
        services.AddSingleton<RunningRuns>();
        services.AddSingleton<RetrievalAgent>();
        services.AddScoped<AgentRunExecutor>();
        services.AddMassTransitTestHarness();
        return services.BuildServiceProvider();
    }

    /// <summary>Executes the run once, as a consumer would on delivery.</summary>
    /// <param name="worker">The worker from <see cref="BuildWorker"/>.</param>
    /// <param name="run">The run.</param>
    /// <param name="redelivered">Whether the delivery is a broker redelivery.</param>
    /// <param name="stoppingToken">The worker's stopping token.</param>
    /// <returns>A task that completes when the executor returns.</returns>
    public static async Task ExecuteAsync(ServiceProvider worker, AgentRun run, bool redelivered = false, CancellationToken stoppingToken = default)
    {
        await using var scope = worker.CreateAsyncScope();
        var executor = scope.ServiceProvider.GetRequiredService<AgentRunExecutor>();
        await executor.ExecuteAsync(
            new StartAgentRun { RunId = run.RunId, ThreadId = run.ThreadId, RequestedAt = DateTimeOffset.UtcNow }, redelivered, stoppingToken);
    }
}
