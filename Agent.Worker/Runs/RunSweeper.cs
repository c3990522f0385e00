using Agent.Contracts.Runs;
using Agent.Persistence.Runs;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// The sweeper: every <see cref="AgentWorkerOptions.SweepSeconds"/>, one worker at a time (a PostgreSQL advisory
/// lock) sends <c>StartAgentRun</c> again for the runs that need it: pending runs never picked up (a lost send, a
/// message the broker dropped), runs whose lease expired (a dead or hung worker), and runs whose retry wait is over.
/// Each message carries a deterministic id (<see cref="DueRun.MessageId"/>). Rules in <see cref="RunStore.SweepAsync"/>.
/// </summary>
/// <param name="scopes">Creates a scope (its own DbContext) per sweep.</param>
/// <param name="bus">Sends to the run queue.</param>
/// <param name="drain">Stops sweeping when the worker stops.</param>
/// <param name="options">Sweep period, republish delay, batch size, run queue.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class RunSweeper(
    IServiceScopeFactory scopes,
    IBus bus,
    WorkerDrain drain,
    IOptions<AgentWorkerOptions> options,
    TimeProvider timeProvider,
    ILogger<RunSweeper> logger) : BackgroundService
{
    /// <summary>How long one sweep may take (a broker outage must not hang the sweeper); it rolls back then.</summary>
    private static readonly TimeSpan SweepTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Sweeps once now.</summary>
    /// <param name="cancellationToken">Cancels the sweep (it rolls back).</param>
    /// <returns>The runs dispatched, or null when another worker holds the sweeper lock.</returns>
    public async Task<IReadOnlyList<DueRun>?> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SweepTimeout);
        await using var scope = scopes.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<RunStore>();
        var endpoint = await bus.GetSendEndpoint(new Uri("queue:" + settings.RunQueue));
        var due = await store.SweepAsync(
            TimeSpan.FromSeconds(settings.RepublishAfterSeconds),
            settings.SweepBatchSize,
            async (runs, token) =>
            {
                foreach (var run in runs)
                {
                    await endpoint.Send(
                        new StartAgentRun { RunId = run.RunId, ThreadId = run.ThreadId, RequestedAt = timeProvider.GetUtcNow() },
                        context => context.MessageId = run.MessageId,
                        token);
                }
            },
            timeout.Token);
        foreach (var run in due ?? [])
        {
            LogDispatched(logger, run.RunId, run.Reason, run.Epoch);
        }

        return due;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepSeconds), timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken) && !drain.IsDraining)
            {
                try
                {
                    await SweepOnceAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // PostgreSQL or RabbitMQ unreachable: the sweep rolled back; the next one tries again.
                    LogSweepFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweeper sent run {RunId} again ({Reason}, epoch {Epoch})")]
    private static partial void LogDispatched(ILogger logger, Guid runId, string reason, long epoch);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweep failed; retrying at the next period")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
