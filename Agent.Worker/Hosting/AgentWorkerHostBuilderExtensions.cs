using Agent.Persistence.Connections;
using Agent.Contracts.Runs;
using Agent.Persistence.Runs;
using Agent.Worker.Options;
using Agent.Worker.Pricing;
using Agent.Worker.Crons;
using Agent.Worker.Agent;
using Agent.Worker.Graphs;
using Agent.Worker.Models;
using Agent.Worker.Runs;
using Agent.Worker.Scheduling;
using Agent.Worker.Store;
using Agent.Worker.Telemetry;
using Agent.Worker.Tools.Mcp;
using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Hosting;

/// <summary>
/// Registers the worker's parts with the generic host.
/// </summary>
internal static class AgentWorkerHostBuilderExtensions
{
    /// <summary>The Npgsql connection string used when <c>ConnectionStrings:Agent</c> is not set.</summary>
    public const string DefaultDatabase = "Host=localhost;Username=agent;Password=agent;Database=agent";

    /// <summary>The RabbitMQ URI used when <c>ConnectionStrings:RabbitMq</c> is not set.</summary>
    public const string DefaultRabbitMq = "amqp://guest:guest@localhost:5672/";

    /// <summary>Adds the database (from <c>ConnectionStrings:Agent</c>) and the worker options.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAgentWorkerBasics(this IServiceCollection services, IConfiguration configuration)
    {
        var budget = (configuration.GetSection(ConnectionBudget.Section).Get<ConnectionBudget>() ?? new ConnectionBudget()).Validate();
        services.AddAgentPersistence(configuration.GetConnectionString("Agent") ?? DefaultDatabase, budget);
        services.AddOptions<AgentWorkerOptions>()
            .Bind(configuration.GetSection(AgentWorkerOptions.SectionName))
            .Configure(o =>
            {
                o.RunQueue = configuration[AgentRunQueues.RunsSettingKey] ?? o.RunQueue;
                o.Queues = configuration[RunQueueName.SettingKey] ?? o.Queues;
            })
            .Validate(o => QueuesError(o) is null, $"{RunQueueName.SettingKey} must list queues as name[:slots], comma-separated (e.g. default:4,heavy:1)")
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return services;
    }

    /// <summary>
    /// Adds the executor and the parts of its step loop (scoped: one run per scope), the built-in graph <c>agent</c>
    /// (<see cref="RetrievalAgentGraph"/>, declared like any deployer's graph; unless a graph named <c>agent</c> is
    /// registered already) and the <see cref="RunDispatcher"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="runQueue">The run queue's name.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddRunExecutor(this IServiceCollection services, string runQueue)
    {
        services.AddScoped<AgentRunExecutor>();
        services.AddScoped<RunStepLoop>();
        services.AddScoped<SubgraphSteps>();
        services.AddScoped<RunCommitter>();
        services.AddScoped<RunEventPublisher>();
        // A deployer's host may have declared its own "agent" already (AgentWorkerApplication runs its callback first).
        if (!services.Any(d => d.ImplementationInstance is CompiledAgentGraph { Name: AgentNode.Agent }))
        {
            services.AddAgentGraph(AgentNode.Agent, RetrievalAgentGraph.Declare);
        }

        services.AddSingleton<StepCommitBuilder>();
        services.AddRunDispatcher(runQueue);
        return services;
    }

    /// <summary>
    /// Adds the run execution: the agent, the executor and the RabbitMQ endpoints (the shared run queue with
    /// prefetch = slots, and a temporary fan-out queue for cancellations).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAgentRunExecution(this IServiceCollection services, IConfiguration configuration)
    {
        var rabbitMq = new Uri(configuration.GetConnectionString("RabbitMq") ?? DefaultRabbitMq);
        // Before the bus: MassTransit propagates the trace only when its activity source has a listener.
        services.AddAgentTelemetry(configuration, "agent-worker", rabbitMq);
        services.AddAgentModels(configuration);
        services.AddRetrievalTools(configuration);
        // Before the catalogue publisher and the bus: a reachable server's tools are listed before either starts.
        services.AddMcpToolServers(configuration);
        services.AddSingleton<ModelPriceTable>();
        services.AddWorkerTelemetry(rabbitMq, provider =>
        {
            var worker = provider.GetRequiredService<IOptions<AgentWorkerOptions>>().Value;
            // The depth gauge reads the worker's first queue (a deployment per queue is the usual shape).
            return (RunQueueName.Address(worker.RunQueue, worker.ServedQueues[0].Name), worker.TotalSlots);
        });
        services.AddSingleton<RunningRuns>();
        services.AddSingleton<RetrievalAgent>();
        services.AddRunExecutor(configuration[AgentRunQueues.RunsSettingKey] ?? AgentRunQueues.Runs);
        services.AddOptions<RunLimits>().Bind(configuration.GetSection(RunLimits.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<StepRetries>();
        services.AddSingleton<WorkerDrain>();
        services.AddHostedService<GraphCatalogPublisher>();
        services.AddHostedService<WorkerReadyReporter>();
        services.AddHostedService<WorkerReporter>();
        services.AddHostedService<RunSweeper>();
        services.AddHostedService<RunScheduler>();
        services.AddScoped<CronFirer>();
        services.AddAgentStore(configuration);
        services.AddWebhookDelivery(configuration);

        services.AddMassTransit(bus =>
        {
            // MassTransit 8 reports anonymous usage by default; a self-hosted runtime must not phone home.
            bus.DisableUsageTelemetry();
            bus.AddConsumer<StartAgentRunConsumer>().ExcludeFromConfigureEndpoints();
            bus.AddConsumer<CancelAgentRunConsumer>().ExcludeFromConfigureEndpoints();
            bus.UsingRabbitMq((context, rabbit) =>
            {
                // Publisher confirms (MassTransit's default, stated so it is not lost): a send completes only once the
                // broker has taken the message, so a requeue or sweep that fails is retried, never silently dropped.
                rabbit.Host(rabbitMq, host => host.PublisherConfirmation = true);
                // One endpoint per queue served: prefetch equals the concurrent-message limit equals that queue's
                // slots, so a delivered run never waits behind a busy slot (RabbitMQ's ack timer starts at delivery)
                // and each queue keeps its own slots (a burst on one cannot take another's). No in-memory retry: the
                // executor owns retries, and a failure is recorded on the run, never retried by redelivery.
                var worker = context.GetRequiredService<IOptions<AgentWorkerOptions>>().Value;
                foreach (var (name, slots) in worker.ServedQueues)
                {
                    rabbit.ReceiveEndpoint(RunQueueName.Address(worker.RunQueue, name), endpoint =>
                    {
                        endpoint.PrefetchCount = slots;
                        endpoint.ConcurrentMessageLimit = slots;
                        endpoint.ConfigureConsumer<StartAgentRunConsumer>(context);
                    });
                }

                rabbit.ReceiveEndpoint(
                    new TemporaryEndpointDefinition("agent-worker-control"),
                    endpoint => endpoint.ConfigureConsumer<CancelAgentRunConsumer>(context));
                rabbit.ConfigureEndpoints(context);
            });
        });
        services.Configure<MassTransitHostOptions>(host =>
        {
            // "Worker ready" must mean the queues are bound and consuming.
            host.WaitUntilStarted = true;
            host.StopTimeout = TimeSpan.FromSeconds(30);
        });
        return services;
    }

    private static string? QueuesError(AgentWorkerOptions options)
    {
        try
        {
            _ = options.ServedQueues;
            return null;
        }
        catch (FormatException ex)
        {
            return ex.Message;
        }
    }
}
