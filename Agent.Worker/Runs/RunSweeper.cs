using Agent.Persistence.Runs;
using Agent.Worker.Options;
using Agent.Worker.Polling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// The sweeper: every <see cref="AgentWorkerOptions.SweepSeconds"/>, one worker at a time (a PostgreSQL advisory
/// lock) sends <c>StartAgentRun</c> again for the runs that need it: pending runs never picked up (a lost send, a
/// message the broker dropped), runs whose lease expired (a dead or hung worker), and runs whose retry wait is over.
/// Each message carries a deterministic id (<see cref="DueRun.MessageId"/>). Rules in <see cref="RunLifecycle.SweepAsync"/>.
/// </summary>
/// <param name="scopes">Creates a scope (its own database context) per sweep.</param>
/// <param name="dispatcher">Sends to the run queue.</param>
/// <param name="drain">Stops sweeping when the worker stops.</param>
/// <param name="options">Sweep period, republish delay, batch size.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class RunSweeper(
    IServiceScopeFactory scopes,
    RunDispatcher dispatcher,
    WorkerDrain drain,
    IOptions<AgentWorkerOptions> options,
    TimeProvider timeProvider,
    ILogger<RunSweeper> logger) : PollingService(scopes, timeProvider, logger)
{
    /// <summary>How long one sweep may take (a broker outage must not hang the sweeper); it rolls back then.</summary>
    private static readonly TimeSpan SweepTimeout = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    protected override TimeSpan Period => TimeSpan.FromSeconds(options.Value.SweepSeconds);

    /// <inheritdoc />
    protected override bool Stopped => drain.IsDraining;

    /// <summary>Sweeps once now.</summary>
    /// <param name="cancellationToken">Cancels the sweep (it rolls back).</param>
    /// <returns>The runs dispatched, or null when another worker holds the sweeper lock.</returns>
    public async Task<IReadOnlyList<DueRun>?> SweepOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = Scopes.CreateAsyncScope();
        return await SweepAsync(scope.ServiceProvider, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task PollAsync(IServiceProvider services, CancellationToken cancellationToken) => SweepAsync(services, cancellationToken);

    private async Task<IReadOnlyList<DueRun>?> SweepAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SweepTimeout);
        var due = await services.GetRequiredService<RunLifecycle>().SweepAsync(
            TimeSpan.FromSeconds(settings.RepublishAfterSeconds), settings.SweepBatchSize, dispatcher.DispatchAsync, timeout.Token);
        foreach (var run in due ?? [])
        {
            LogDispatched(logger, run.RunId, run.Reason, run.Epoch);
        }

        return due;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweeper sent run {RunId} again ({Reason}, epoch {Epoch})")]
    private static partial void LogDispatched(ILogger logger, Guid runId, string reason, long epoch);
}
