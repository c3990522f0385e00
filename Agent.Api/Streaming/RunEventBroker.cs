using System.Collections.Concurrent;
using System.Threading.Channels;
using Agent.Contracts.Runs;

namespace Agent.Api.Streaming;

/// <summary>
/// One live message about a run: a committed event, or a token delta of a model call in flight.
/// </summary>
/// <param name="Recorded">The committed event, or null.</param>
/// <param name="Token">The token delta, or null.</param>
internal readonly record struct LiveRunEvent(AgentRunEventRecorded? Recorded, AgentRunTokenStreamed? Token)
{
    /// <summary>Gets a value indicating whether this is the run's terminal event.</summary>
    public bool IsTerminal => Recorded?.IsTerminal == true;
}

/// <summary>
/// Fans run events and token deltas received from RabbitMQ out to the SSE streams of this API replica that follow
/// the run. Best effort by design: a subscriber that falls behind loses events and fills the gap from
/// <c>run_events</c> (a lost token delta is covered by its committed step).
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
    public void Publish(AgentRunEventRecorded runEvent) => Publish(runEvent.RunId, new LiveRunEvent(runEvent, null));

    /// <summary>Delivers a token delta to every stream of this replica that follows its run.</summary>
    /// <param name="token">The delta.</param>
    public void Publish(AgentRunTokenStreamed token) => Publish(token.RunId, new LiveRunEvent(null, token));

    private void Publish(Guid runId, LiveRunEvent live)
    {
        if (subscribers.TryGetValue(runId, out var streams))
        {
            foreach (var stream in streams.Keys)
            {
                stream.Channel.Writer.TryWrite(live);
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
            Channel = System.Threading.Channels.Channel.CreateBounded<LiveRunEvent>(
                new BoundedChannelOptions(SubscriberCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        }

        /// <summary>Gets the run followed.</summary>
        public Guid RunId { get; }

        /// <summary>Gets the channel the events arrive on.</summary>
        public Channel<LiveRunEvent> Channel { get; }

        /// <inheritdoc />
        public void Dispose() => broker.Unsubscribe(this);
    }
}
