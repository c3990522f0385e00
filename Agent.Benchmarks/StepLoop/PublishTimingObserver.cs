using Agent.Contracts.Runs;
using MassTransit;

namespace Agent.Benchmarks.StepLoop;

/// <summary>Times each <see cref="AgentRunEventRecorded"/> publish, from the send to the broker's confirm, into the probe.</summary>
/// <param name="probe">The probe.</param>
internal sealed class PublishTimingObserver(StepProbe probe) : IPublishObserver
{
    /// <inheritdoc />
    public Task PrePublish<T>(PublishContext<T> context)
        where T : class
    {
        if (context.Message is AgentRunEventRecorded && context.MessageId is { } id)
        {
            probe.PublishStarted(id);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task PostPublish<T>(PublishContext<T> context)
        where T : class
    {
        if (context.Message is AgentRunEventRecorded recorded && context.MessageId is { } id)
        {
            probe.PublishEnded(id, recorded.RunId);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task PublishFault<T>(PublishContext<T> context, Exception exception)
        where T : class => Task.CompletedTask;
}
