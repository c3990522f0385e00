using System.Collections.Concurrent;
using System.Threading.Channels;
using Agent.Contracts.Runs;

namespace Agent.Api.Streaming;

/// <summary>
/// Fans run events received from RabbitMQ out to the SSE streams of this API replica that follow the run.
/// Best effort by design: a subscriber that falls behind loses events and fills the gap from <c>run_events</c>.
/// </summary>
internal sealed class RunEventBroker
{
    /// <summary>How many undelivered events a stream may hold before the oldest are dropped. Default is 1,024.</summary>
    public const int SubscriberCapacity = 1024;

    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<Subscription, byte>> subscribers = new();

    /// <summary>Starts following a run; dispose the subscription to stop.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>The subscription, whose reader yields the run's events as they arrive.</returns>
    public Subscription Subscribe(Guid runId)
    {
        var subscription = new Subscription(this, runId);
        subscribers.GetOrAdd(runId, _ => new ConcurrentDictionary<Subscription, byte>())[subscription] = 0;
        return subscription;
    }

    /// <summary>Delivers an event to every stream of this replica that follows its run.</summary>
    /// <param name="runEvent">The event.</param>
    public void Publish(AgentRunEventRecorded runEvent)
    {
        if (subscribers.TryGetValue(runEvent.RunId, out var streams))
        {
            foreach (var stream in streams.Keys)
            {
                stream.Channel.Writer.TryWrite(runEvent);
            }
        }
    }

    private void Unsubscribe(Subscription subscription)
    {
        if (subscribers.TryGetValue(subscription.RunId, out var streams))
        {
            streams.TryRemove(subscription, out _);
            if (streams.IsEmpty)
            {
                subscribers.TryRemove(new KeyValuePair<Guid, ConcurrentDictionary<Subscription, byte>>(subscription.RunId, streams));
            }
        }
    }

    /// <summary>
    /// One stream's view of a run's live events.
    /// </summary>
    internal sealed class Subscription : IDisposable
    {
        private readonly RunEventBroker broker;

        /// <summary>Initializes a new instance of the <see cref="Subscription"/> class.</summary>
        /// <param name="broker">The broker.</param>
        /// <param name="runId">The run followed.</param>
        public Subscription(RunEventBroker broker, Guid runId)
        {
            this.broker = broker;
            RunId = runId;
            Channel = System.Threading.Channels.Channel.CreateBounded<AgentRunEventRecorded>(
                new BoundedChannelOptions(SubscriberCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        }

        /// <summary>Gets the run followed.</summary>
        public Guid RunId { get; }

        /// <summary>Gets the channel the events arrive on.</summary>
        public Channel<AgentRunEventRecorded> Channel { get; }

        /// <inheritdoc />
        public void Dispose() => broker.Unsubscribe(this);
    }
}
