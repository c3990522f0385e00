using Agent.Worker.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Hosting;

/// <summary>
/// Logs "Worker ready" once the host (and so the bus, which waits until started) is up; scripts and tests wait
/// for that line.
/// </summary>
internal sealed partial class WorkerReadyReporter(
    IHostApplicationLifetime lifetime, IOptions<AgentWorkerOptions> options, ILogger<WorkerReadyReporter> logger) : IHostedService
{
    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() => LogReady(logger, options.Value.InstanceId, options.Value.TotalSlots));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker ready: instance {InstanceId}, {Slots} slot(s)")]
    private static partial void LogReady(ILogger logger, string instanceId, int slots);
}
