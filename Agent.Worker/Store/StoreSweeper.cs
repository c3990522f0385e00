using Agent.Persistence.Store;
using Agent.Worker.Polling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Store;

/// <summary>
/// Deletes expired store items every <see cref="StoreOptions.SweepSeconds"/> (<see cref="ItemStore.DeleteExpiredAsync"/>),
/// in batches of <see cref="StoreOptions.SweepBatchSize"/> until a batch comes back short. Every worker sweeps;
/// <c>SKIP LOCKED</c> lets them share the rows without waiting or deleting twice.
/// </summary>
/// <param name="scopes">Creates a scope (its own database context) per sweep.</param>
/// <param name="options">Period and batch size.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class StoreSweeper(
    IServiceScopeFactory scopes, IOptions<StoreOptions> options, TimeProvider timeProvider, ILogger<StoreSweeper> logger)
    : PollingService(scopes, timeProvider, logger)
{
    /// <summary>The most batches one sweep deletes, so a backlog never holds a poll for long: 100.</summary>
    private const int MaxBatchesPerSweep = 100;

    /// <inheritdoc />
    protected override TimeSpan Period => TimeSpan.FromSeconds(options.Value.SweepSeconds);

    /// <inheritdoc />
    protected override async Task PollAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var items = services.GetRequiredService<ItemStore>();
        var batchSize = options.Value.SweepBatchSize;
        var total = 0;
        for (var batch = 0; batch < MaxBatchesPerSweep; batch++)
        {
            var deleted = await items.DeleteExpiredAsync(batchSize, cancellationToken);
            total += deleted;
            if (deleted < batchSize)
            {
                break;
            }
        }

        if (total > 0)
        {
            LogSwept(logger, total);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Store sweeper deleted {Count} expired items")]
    private static partial void LogSwept(ILogger logger, int count);
}
