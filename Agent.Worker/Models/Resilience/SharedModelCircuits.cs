using Agent.Persistence.ModelCircuits;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Models.Resilience;

/// <summary>
/// One worker's view of the model circuits every worker shares (<see cref="ModelCircuitStore"/>): it publishes the
/// circuits this worker opens and closes, and reads the open ones at most once per refresh interval.
/// </summary>
/// <remarks>
/// Reading the table on every model call would add a database round trip to each call; reading it at most once per
/// <see cref="ModelFallbackOptions.CircuitShareRefreshMs"/> (default 1,000 ms) bounds the cost to one small query per
/// second per busy worker, and a provider outage seen by one worker reaches the others within that interval. The
/// view counts down each circuit's remaining time on this process's clock from the moment it was read, so the
/// workers' clocks need not agree. A database failure keeps the last view and is logged: sharing is an
/// optimisation, and each worker's own circuit breaker still protects it.
/// </remarks>
/// <param name="store">The shared circuit table.</param>
/// <param name="options">The refresh interval and break settings.</param>
/// <param name="instanceId">The worker instance, recorded as the opener.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class SharedModelCircuits(
    ModelCircuitStore store, ModelFallbackOptions options, string instanceId, TimeProvider timeProvider, ILogger<SharedModelCircuits> logger)
{
    private readonly Lock gate = new();
    private Task<View>? refresh;
    private volatile View view = new(null, new Dictionary<string, long>(StringComparer.Ordinal));

    /// <summary>Tells how long another worker (or this one) holds the circuit of <paramref name="key"/> open.</summary>
    /// <param name="key">The circuit's key, <c>{provider}:{model}</c>.</param>
    /// <param name="cancellationToken">Cancels a refresh.</param>
    /// <returns>The remaining open time, or null when the circuit is closed.</returns>
    public async ValueTask<TimeSpan?> OpenForAsync(string key, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetTimestamp();
        var current = view;
        if (current.ReadAt is not { } readAt || timeProvider.GetElapsedTime(readAt, now).TotalMilliseconds >= options.CircuitShareRefreshMs)
        {
            current = await RefreshAsync(current).WaitAsync(cancellationToken);
        }

        return current.OpenUntil.TryGetValue(key, out var until) && until > now ? timeProvider.GetElapsedTime(now, until) : null;
    }

    /// <summary>Publishes that this worker's circuit of <paramref name="key"/> opened.</summary>
    /// <param name="key">The circuit's key.</param>
    /// <param name="breakDuration">How long it stays open.</param>
    /// <param name="reason">The failure that opened it, or null.</param>
    /// <returns>A task completing when published (or when publishing failed and was logged).</returns>
    public async Task OpenedAsync(string key, TimeSpan breakDuration, string? reason)
    {
        try
        {
            await store.OpenAsync(key, breakDuration, instanceId, reason, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogShareFailed(logger, ex, key);
        }
    }

    /// <summary>Publishes that a probe call through this worker's circuit of <paramref name="key"/> succeeded.</summary>
    /// <param name="key">The circuit's key.</param>
    /// <returns>A task completing when published (or when publishing failed and was logged).</returns>
    public async Task ClosedAsync(string key)
    {
        try
        {
            await store.CloseAsync(key, CancellationToken.None);
            view = view with { ReadAt = null };
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogShareFailed(logger, ex, key);
        }
    }

    // One read at a time: callers that find the view stale while a read runs wait for that read.
    private Task<View> RefreshAsync(View stale)
    {
        lock (gate)
        {
            if (!ReferenceEquals(view, stale))
            {
                return Task.FromResult(view); // another call refreshed it
            }

            if (refresh is not { IsCompleted: false })
            {
                refresh = ReadAsync(stale);
            }

            return refresh;
        }
    }

    private async Task<View> ReadAsync(View stale)
    {
        try
        {
            var readAt = timeProvider.GetTimestamp();
            var open = await store.ReadOpenAsync(CancellationToken.None);
            var ticksPerSecond = timeProvider.TimestampFrequency;
            var until = open.ToDictionary(
                c => c.Key, c => readAt + (long)(c.Remaining.TotalSeconds * ticksPerSecond), StringComparer.Ordinal);
            return view = new View(readAt, until);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReadFailed(logger, ex);
            return view = stale with { ReadAt = timeProvider.GetTimestamp() };
        }
    }

    // The open circuits as read at ReadAt (null: never read, or made stale): key → the timestamp (this process's
    // clock) at which each closes.
    private sealed record View(long? ReadAt, IReadOnlyDictionary<string, long> OpenUntil);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not share the state of model circuit {Key}")]
    private static partial void LogShareFailed(ILogger logger, Exception exception, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not read the shared model circuits; keeping the last view")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);
}
