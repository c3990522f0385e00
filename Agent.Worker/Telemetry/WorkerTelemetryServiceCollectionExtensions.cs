using Agent.Telemetry;
using Agent.Telemetry.Health;
using Agent.Worker.Pricing;
using Agent.Worker.Tools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Telemetry;

/// <summary>
/// Adds the worker's telemetry around the agent without touching the loop: the model port and every tool are
/// decorated (<see cref="TelemetryChatClient"/>, <see cref="TracedAgentTool"/>), plus the deep health check, the queue
/// depth gauges and the management endpoint.
/// </summary>
internal static class WorkerTelemetryServiceCollectionExtensions
{
    /// <summary>
    /// Adds the worker's telemetry. Call after the model and the tools are registered (they are decorated) and after
    /// <c>AddAgentTelemetry</c>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="rabbitMq">The RabbitMQ URI (for the queue depth).</param>
    /// <param name="runQueue">Reads the run queue's name and this worker's slot count (for the queue gauges).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddWorkerTelemetry(
        this IServiceCollection services, Uri rabbitMq, Func<IServiceProvider, (string Queue, int Slots)> runQueue)
    {
        Decorate<IChatClient>(services, (provider, inner) => new TelemetryChatClient(
            inner,
            provider.GetRequiredService<ModelPriceTable>(),
            provider.GetRequiredService<TelemetryOptions>(),
            provider.GetRequiredService<ILogger<TelemetryChatClient>>()));
        Decorate<IAgentTool>(services, (_, inner) => new TracedAgentTool(inner));
        services.AddSingleton<ModelHealthCheck>();
        services.AddHealthChecks().AddCheck<ModelHealthCheck>(ModelHealthCheck.Name, tags: [AgentHealthChecks.DeepTag]);
        // One instance: a hosted service, and the source of the queue depth the worker reports (Runs' WorkerReporter).
        services.AddSingleton(provider => ActivatorUtilities.CreateInstance<QueueDepthMonitor>(
            provider, rabbitMq, runQueue(provider).Queue, runQueue(provider).Slots));
        services.AddHostedService(provider => provider.GetRequiredService<QueueDepthMonitor>());
        services.AddHostedService<WorkerManagementEndpoint>();
        return services;
    }

    /// <summary>Replaces every registration of <typeparamref name="TService"/> with a decorated one of the same lifetime.</summary>
    private static void Decorate<TService>(IServiceCollection services, Func<IServiceProvider, TService, TService> decorate)
        where TService : class
    {
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(TService) && !d.IsKeyedService).ToList())
        {
            var index = services.IndexOf(descriptor);
            services[index] = ServiceDescriptor.Describe(
                typeof(TService),
                provider => decorate(provider, (TService)Create(provider, descriptor)),
                descriptor.Lifetime);
        }
    }

    private static object Create(IServiceProvider provider, ServiceDescriptor descriptor) =>
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(provider)
        ?? ActivatorUtilities.CreateInstance(provider, descriptor.ImplementationType!);
}
