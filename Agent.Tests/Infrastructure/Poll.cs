namespace Agent.Tests.Infrastructure;

/// <summary>
/// The one wait of the tests: polls a condition until it holds or a deadline passes, never sleeping a fixed time.
/// </summary>
internal static class Poll
{
    /// <summary>The default time between probes. 100 ms.</summary>
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Probes until <paramref name="done"/> accepts the value or <paramref name="timeout"/> passes, and returns the last
    /// value either way, so the test's assertion reports what was seen at the deadline.
    /// </summary>
    /// <typeparam name="T">The probed value.</typeparam>
    /// <param name="probe">Reads the value.</param>
    /// <param name="done">Whether the value is the one waited for.</param>
    /// <param name="timeout">The deadline, from now.</param>
    /// <param name="interval">The time between probes. Default is <see cref="DefaultInterval"/>.</param>
    /// <param name="retryOn">
    /// Exceptions of the probe that mean "not yet" (a server still starting); the last one is rethrown at the deadline.
    /// Default is none.
    /// </param>
    /// <returns>The last value probed.</returns>
    public static async Task<T> UntilAsync<T>(
        Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, TimeSpan? interval = null, Func<Exception, bool>? retryOn = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        using var timer = new PeriodicTimer(interval ?? DefaultInterval);
        while (true)
        {
            try
            {
                var value = await probe();
                if (done(value) || DateTime.UtcNow > deadline)
                {
                    return value;
                }
            }
            catch (Exception ex) when (retryOn?.Invoke(ex) == true && DateTime.UtcNow <= deadline)
            {
                // Not yet: probe again at the next tick.
            }

            await timer.WaitForNextTickAsync();
        }
    }

    /// <summary>Probes until <paramref name="condition"/> holds or <paramref name="timeout"/> passes.</summary>
    /// <param name="condition">The condition.</param>
    /// <param name="timeout">The deadline, from now.</param>
    /// <param name="interval">The time between probes. Default is <see cref="DefaultInterval"/>.</param>
    /// <returns>Whether the condition held before the deadline.</returns>
    public static Task<bool> UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, TimeSpan? interval = null) =>
        UntilAsync(condition, held => held, timeout, interval);
}
