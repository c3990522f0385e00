using Agent.Contracts.Runs;
using System.Data.Common;
using Agent.Persistence.Workers;
using Agent.Worker.Telemetry;
using Agent.Worker.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// Writes this worker's report to <c>agent.worker_reports</c> every <see cref="AgentWorkerOptions.ReportSeconds"/>:
/// its slots, how many are busy, whether it is draining, and the run queue's depth as <see cref="QueueDepthMonitor"/>
/// last read it. The API's console reads the table (the API cannot reach the workers' management ports).
/// </summary>
/// <remarks>A failed write is logged and retried at the next tick: the report is best effort and never stops the worker.</remarks>
internal sealed partial class WorkerReporter(
    IOptions<AgentWorkerOptions> options,
    RunningRuns runningRuns,
    WorkerDrain drain,
    QueueDepthMonitor queue,
    WorkerReportStore store,
    TimeProvider timeProvider,
    IHostApplicationLifetime lifetime,
    ILogger<WorkerReporter> logger) : BackgroundService
{
    private readonly DateTimeOffset startedAt = timeProvider.GetUtcNow();

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled(stoppingToken)))
        {
            try
            {
                await started.Task;
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.ReportSeconds), timeProvider);
        try
        {
            do
            {
                await ReportAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the last report says draining, so the console shows the worker leaving rather than stale.
            await ReportAsync(CancellationToken.None);
        }
    }

    private async Task ReportAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        try
        {
            await store.ReportAsync(
                new WorkerReport
                {
                    InstanceId = settings.InstanceId,
                    Host = Environment.MachineName,
                    ProcessId = Environment.ProcessId,
                    Slots = settings.TotalSlots,
                    BusySlots = runningRuns.Count,
                    Queue = string.Join(",", settings.ServedQueues.Select(q => RunQueueName.Address(settings.RunQueue, q.Name))),
                    QueueDepth = queue.Depth,
                    QueueConsumers = queue.Consumers,
                    Draining = drain.IsDraining || cancellationToken == CancellationToken.None,
                    StartedAt = startedAt,
                    ReportedAt = timeProvider.GetUtcNow(),
                },
                cancellationToken);
        }
        catch (Exception ex) when (ex is DbException or InvalidOperationException or TimeoutException)
        {
            LogReportFailed(logger, ex, settings.InstanceId);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the report of worker {InstanceId}")]
    private static partial void LogReportFailed(ILogger logger, Exception exception, string instanceId);
}
