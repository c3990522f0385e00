using Agent.Contracts.Runs;
using MassTransit;

namespace Agent.Api.Streaming;

/// <summary>
/// Receives every run event on this replica's temporary queue (fan-out: each API replica has its own) and hands it
/// to the <see cref="RunEventBroker"/>.
/// </summary>
/// <param name="broker">The broker.</param>
internal sealed class AgentRunEventRecordedConsumer(RunEventBroker broker) : IConsumer<AgentRunEventRecorded>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<AgentRunEventRecorded> context)
    {
        broker.Publish(context.Message);
        return Task.CompletedTask;
    }
}

/// <summary>
/// Receives every token delta on this replica's temporary queue and hands it to the <see cref="RunEventBroker"/>.
/// </summary>
/// <param name="broker">The broker.</param>
internal sealed class AgentRunTokenStreamedConsumer(RunEventBroker broker) : IConsumer<AgentRunTokenStreamed>
{
    /// <inheritdoc />
    public Task Consume(ConsumeContext<AgentRunTokenStreamed> context)
    {
        broker.Publish(context.Message);
        return Task.CompletedTask;
    }
}
