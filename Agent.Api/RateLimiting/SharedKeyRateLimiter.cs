using System.Threading.RateLimiting;
using Agent.Persistence.RateLimits;

namespace Agent.Api.RateLimiting;

/// <summary>
/// One API key's request limit, shared by every API replica through PostgreSQL (<see cref="ProviderRateLimitStore"/>,
/// key <c>api-key:{key_id}</c>, the same GCRA as the providers' limits): a replica takes requests from the shared
/// bucket in batches of <see cref="BatchSize"/> and serves the batch locally.
/// </summary>
/// <remarks>
/// <para>
/// Asking the database for every request would add a round trip to each; a batch costs one round trip per
/// <see cref="BatchSize"/> requests of a key on a replica. The price is slack: each replica may hold up to one unused
/// batch, so N replicas admit at most (N − 1) × batch requests beyond the limit at a moment, and a batch left unused
/// for its own worth of time (batch × 60 s / rate, at least 1 s) is dropped, which only ever admits fewer.
/// </para>
/// <para>
/// When the database cannot answer within 2 s, the replica falls back to a local token bucket with the same rate and
/// burst (the per-replica limit), so a database outage never turns into 5xx or unlimited traffic.
/// </para>
/// </remarks>
internal sealed partial class SharedKeyRateLimiter : ReplenishingRateLimiter
{
    private static readonly TimeSpan StoreTimeout = TimeSpan.FromSeconds(2);

    private readonly RateLimitRule rule;
    private readonly ProviderRateLimitStore store;
    private readonly TokenBucketRateLimiter fallback;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly SemaphoreSlim asking = new(1, 1);
    private readonly Lock gate = new();
    private int allowance;
    private long allowanceUntil;
    private long lastUsed;

    /// <summary>Creates the limiter of one key.</summary>
    /// <param name="keyId">The API key's id.</param>
    /// <param name="options">The rate and burst.</param>
    /// <param name="store">The shared limit state.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public SharedKeyRateLimiter(string keyId, ApiRateLimitOptions options, ProviderRateLimitStore store, TimeProvider timeProvider, ILogger logger)
    {
        rule = new RateLimitRule("api-key:" + keyId, options.RequestsPerMinute, TokensPerMinute: null, options.Burst);
        BatchSize = BatchSizeFor(options.Burst);
        this.store = store;
        this.timeProvider = timeProvider;
        this.logger = logger;
        fallback = new TokenBucketRateLimiter(BucketOptions(options));
        lastUsed = timeProvider.GetTimestamp();
    }

    /// <summary>Gets how many requests a replica takes from the shared bucket at once: burst / 10, between 1 and 50.</summary>
    public int BatchSize { get; }

    /// <inheritdoc />
    public override TimeSpan? IdleDuration => timeProvider.GetElapsedTime(Volatile.Read(ref lastUsed));

    /// <inheritdoc />
    public override bool IsAutoReplenishing => false;

    /// <inheritdoc />
    public override TimeSpan ReplenishmentPeriod => fallback.ReplenishmentPeriod;

    /// <summary>Gets the batch size for a burst: burst / 10, between 1 and 50.</summary>
    /// <param name="burst">The key's burst, in requests.</param>
    /// <returns>The batch size, in requests.</returns>
    public static int BatchSizeFor(int burst) => Math.Clamp(burst / 10, 1, 50);

    /// <summary>Gets the options of the local token bucket that limits a replica on its own.</summary>
    /// <param name="options">The rate and burst.</param>
    /// <returns>The bucket's options (refilled by the partitioned limiter's timer).</returns>
    public static TokenBucketRateLimiterOptions BucketOptions(ApiRateLimitOptions options) => new()
    {
        TokenLimit = options.Burst,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = TimeSpan.FromMinutes(1) / options.RequestsPerMinute,
        QueueLimit = 0,
        // The partitioned limiter's own timer (every 100 ms) refills every bucket by the time elapsed.
        AutoReplenishment = false,
    };

    /// <inheritdoc />
    public override bool TryReplenish() => fallback.TryReplenish();

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics()
    {
        lock (gate)
        {
            return new RateLimiterStatistics { CurrentAvailablePermits = allowance };
        }
    }

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        TryTakeAllowance(permitCount) ? Lease.Granted : Lease.NotYet;

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        await asking.WaitAsync(cancellationToken);
        try
        {
            if (TryTakeAllowance(permitCount))
            {
                return Lease.Granted; // a request that waited here found the batch another one fetched
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(StoreTimeout);
            try
            {
                var wait = await store.TryAcquireRequestsAsync(rule, BatchSize, timeout.Token);
                if (wait == TimeSpan.Zero)
                {
                    Grant(BatchSize - permitCount);
                    return Lease.Granted;
                }

                // Less than a batch is left: take a single request rather than refuse one that fits.
                if (BatchSize > 1 && (wait = await store.TryAcquireRequestsAsync(rule, 1, timeout.Token)) == TimeSpan.Zero)
                {
                    return Lease.Granted;
                }

                return new Lease(false, wait);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogSharedLimitUnavailable(logger, ex, rule.Key);
                return fallback.AttemptAcquire(permitCount);
            }
        }
        finally
        {
            asking.Release();
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            fallback.Dispose();
            asking.Dispose();
        }

        base.Dispose(disposing);
    }

    private bool TryTakeAllowance(int permitCount)
    {
        var now = timeProvider.GetTimestamp();
        Volatile.Write(ref lastUsed, now);
        lock (gate)
        {
            if (allowance >= permitCount && now < allowanceUntil)
            {
                allowance -= permitCount;
                return true;
            }

            return false;
        }
    }

    private void Grant(int unused)
    {
        // A batch is worth its requests' share of the rate; kept longer, it would let a replica spend old capacity.
        var worth = rule.RequestInterval * BatchSize;
        var until = timeProvider.GetTimestamp() + (long)(Math.Max(1, worth.TotalSeconds) * timeProvider.TimestampFrequency);
        lock (gate)
        {
            allowance = unused;
            allowanceUntil = until;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The shared rate limit {Key} could not be read; limiting this replica on its own")]
    private static partial void LogSharedLimitUnavailable(ILogger logger, Exception exception, string key);

    // A lease that holds nothing (GCRA capacity is taken when granted, never returned).
    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null);
        public static readonly Lease NotYet = new(false, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter : null;
            return metadata is not null;
        }
    }
}
