using Agent.Persistence.RateLimits;
using Agent.Persistence.Workers;

namespace Agent.Persistence.Monitoring;

/// <summary>
/// The console's system view: the caller's runs by state, and the shared infrastructure as the workers report it.
/// </summary>
/// <param name="Pending">The tenant's runs waiting for a worker (not parked).</param>
/// <param name="Running">The tenant's runs a worker holds.</param>
/// <param name="Parked">The tenant's runs parked until <c>next_attempt_at</c> after a transient failure.</param>
/// <param name="Workers">Every worker's last report, newest first (stale rows belong to stopped workers).</param>
/// <param name="RateLimits">The providers' shared rate-limit state (GCRA theoretical arrival times).</param>
public sealed record SystemSnapshot(int Pending, int Running, int Parked, IReadOnlyList<WorkerReport> Workers, IReadOnlyList<ProviderRateLimit> RateLimits);
