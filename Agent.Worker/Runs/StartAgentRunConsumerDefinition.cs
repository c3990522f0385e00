using Agent.Worker.Options;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// Configures the run queue: prefetch equals the concurrent-message limit equals the worker's slot count, so a
/// delivered run never waits behind a busy slot (RabbitMQ's ack timer starts at delivery), and no in-memory
/// retry: the executor owns retries, and a failure is recorded on the run, never retried by redelivery.
/// </summary>
internal sealed class StartAgentRunConsumerDefinition : ConsumerDefinition<StartAgentRunConsumer>
{
    private readonly int slots;

    /// <summary>Initializes a new instance of the <see cref="StartAgentRunConsumerDefinition"/> class.</summary>
    /// <param name="options">The worker options (slot count).</param>
    public StartAgentRunConsumerDefinition(IOptions<AgentWorkerOptions> options)
    {
        slots = options.Value.Slots;
        EndpointName = options.Value.RunQueue;
        ConcurrentMessageLimit = slots;
    }

    /// <inheritdoc />
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<StartAgentRunConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = slots;
        endpointConfigurator.ConcurrentMessageLimit = slots;
    }
}
