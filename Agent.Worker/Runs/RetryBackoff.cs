using Agent.Worker.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// How long a parked run waits before its next attempt: exponential from
/// <see cref="AgentWorkerOptions.RetryWaitSeconds"/> (doubling per earlier wait) with jitter (0.8-1.2x), capped at
/// <see cref="AgentWorkerOptions.RetryWaitMaxSeconds"/>, and never shorter than the provider's <c>Retry-After</c>.
/// </summary>
internal static class RetryBackoff
{
    /// <summary>Computes the wait before the next attempt.</summary>
    /// <param name="settings">The worker settings.</param>
    /// <param name="retryCount">The waits the run has had so far.</param>
    /// <param name="retryAfter">The provider's <c>Retry-After</c>, or null.</param>
    /// <returns>The wait.</returns>
    public static TimeSpan Wait(AgentWorkerOptions settings, int retryCount, TimeSpan? retryAfter)
    {
        var backoff = settings.RetryWaitSeconds * Math.Pow(2, retryCount) * (0.8 + (0.4 * Random.Shared.NextDouble()));
        var wait = TimeSpan.FromSeconds(Math.Min(backoff, settings.RetryWaitMaxSeconds));
        return retryAfter > wait ? retryAfter.Value : wait;
    }
}
