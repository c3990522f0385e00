using System.Diagnostics.Metrics;
using Agent.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Agent.Worker.Telemetry;

/// <summary>
/// Publishes the run queue's depth and this worker's slot count as gauges: <c>agent.queue.depth</c> and
/// <c>agent.queue.consumers</c> (<c>queue</c> label; read from RabbitMQ with a passive queue declare every
/// <see cref="TelemetryOptions.QueueDepthIntervalSeconds"/>, on a connection of its own) and <c>agent.worker.slots</c>.
/// Every worker reports the same queue, so dashboards take <c>max</c> of the depth and <c>sum</c> of the slots; the
/// alert "queue depth above twice the worker slots" compares the two.
/// </summary>
internal sealed partial class QueueDepthMonitor : BackgroundService
{
    private readonly Uri rabbitMq;
    private readonly string queue;
    private readonly TimeSpan interval;
    private readonly IHostApplicationLifetime lifetime;
    private readonly ILogger<QueueDepthMonitor> logger;
    private long depth = -1;
    private long consumers = -1;

    /// <summary>Initializes a new instance of the <see cref="QueueDepthMonitor"/> class.</summary>
    /// <param name="rabbitMq">The RabbitMQ URI the bus uses.</param>
    /// <param name="queue">The run queue's name.</param>
    /// <param name="slots">The worker's run slots.</param>
    /// <param name="telemetry">The telemetry options (interval).</param>
    /// <param name="lifetime">The host lifetime (the first read waits until the bus has declared the queue).</param>
    /// <param name="logger">The logger.</param>
    public QueueDepthMonitor(
        Uri rabbitMq, string queue, int slots, TelemetryOptions telemetry, IHostApplicationLifetime lifetime,
        ILogger<QueueDepthMonitor> logger)
    {
        this.rabbitMq = rabbitMq;
        this.lifetime = lifetime;
        this.logger = logger;
        this.queue = queue;
        interval = TimeSpan.FromSeconds(telemetry.QueueDepthIntervalSeconds);
        var queueTag = new KeyValuePair<string, object?>("queue", queue);
        // A negative value means "not read yet" and is not reported (an absent series, not a false zero).
        AgentTelemetry.Meter.CreateObservableGauge(
            "agent.queue.depth",
            () => Interlocked.Read(ref depth) is var d and >= 0 ? [new Measurement<long>(d, queueTag)] : Array.Empty<Measurement<long>>(),
            "{message}",
            "Messages ready in the run queue (runs waiting for a worker slot).");
        AgentTelemetry.Meter.CreateObservableGauge(
            "agent.queue.consumers",
            () => Interlocked.Read(ref consumers) is var c and >= 0 ? [new Measurement<long>(c, queueTag)] : Array.Empty<Measurement<long>>(),
            "{consumer}",
            "Consumers of the run queue (one per worker process).");
        AgentTelemetry.Meter.CreateObservableGauge("agent.worker.slots", () => slots, "{slot}", "Runs this worker can execute at once.");
    }

    /// <summary>Gets the run queue's depth at the last read, or null when not read yet (or the last read failed).</summary>
    public long? Depth => Interlocked.Read(ref depth) is var d and >= 0 ? d : null;

    /// <summary>Gets the run queue's consumer count at the last read, or null when not read yet.</summary>
    public long? Consumers => Interlocked.Read(ref consumers) is var c and >= 0 ? c : null;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        IConnection? connection = null;
        try
        {
            // The host has started once the bus is up (WaitUntilStarted), and so the run queue is declared.
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
            {
                await started.Task;
            }

            do
            {
                try
                {
                    connection ??= await new ConnectionFactory { Uri = rabbitMq, ClientProvidedName = "agent-worker-queue-depth" }
                        .CreateConnectionAsync(stoppingToken);
                    await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
                    var declared = await channel.QueueDeclarePassiveAsync(queue, stoppingToken);
                    Interlocked.Exchange(ref depth, declared.MessageCount);
                    Interlocked.Exchange(ref consumers, declared.ConsumerCount);
                }
                catch (Exception ex) when (ex is BrokerUnreachableException or OperationInterruptedException or AlreadyClosedException
                                               or IOException or TimeoutException)
                {
                    LogReadFailed(logger, ex, queue);
                    Interlocked.Exchange(ref depth, -1);
                    if (connection is not null)
                    {
                        await connection.DisposeAsync();
                        connection = null;
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the depth of queue {Queue}")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, string queue);
}
