using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Agent.Api.Auth;
using Agent.Persistence.RateLimits;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Agent.Api.RateLimiting;

/// <summary>
/// Limits each API key's request rate with ASP.NET Core's rate limiter: a token bucket per key id (refilled
/// continuously at <see cref="ApiRateLimitOptions.RequestsPerMinute"/>, holding up to
/// <see cref="ApiRateLimitOptions.Burst"/>), answering 429 with <c>Retry-After</c> and a detail when it is empty.
/// </summary>
/// <remarks>
/// A key's bucket is shared by every API replica (<see cref="SharedKeyRateLimiter"/>: PostgreSQL, taken in batches),
/// so N replicas behind a balancer still give a key one rate. Requests without a valid key share a bucket per client
/// IP, kept in each replica (so that unauthenticated traffic cannot write rows), so guessing keys is throttled too.
/// <c>/ok</c> is never limited (probes).
/// </remarks>
internal static class ApiRateLimitingExtensions
{
    private const string KeyPartitionPrefix = "key:";

    /// <summary>Registers the limiter.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration (section <c>RateLimit</c>).</param>
    /// <returns>The same services.</returns>
    public static IServiceCollection AddApiRateLimiting(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApiRateLimitOptions>()
            .Bind(configuration.GetSection(ApiRateLimitOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ApiRateLimitOptions>, ProviderRateLimitStore, ILoggerFactory>((limiter, settings, store, loggers) =>
        {
            var rate = settings.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = OnRejectedAsync;
            if (rate.RequestsPerMinute == 0)
            {
                return;
            }

            var bucket = SharedKeyRateLimiter.BucketOptions(rate);
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
            {
                if (http.Request.Path.Equals("/ok", StringComparison.OrdinalIgnoreCase))
                {
                    return RateLimitPartition.GetNoLimiter("probe");
                }

                var partition = PartitionOf(http);
                return rate.Shared && partition.StartsWith(KeyPartitionPrefix, StringComparison.Ordinal)
                    ? RateLimitPartition.Get(partition, p => new SharedKeyRateLimiter(
                        p[KeyPartitionPrefix.Length..], rate, store, TimeProvider.System, loggers.CreateLogger<SharedKeyRateLimiter>()))
                    : RateLimitPartition.GetTokenBucketLimiter(partition, _ => bucket);
            });
        });
        return services;
    }

    /// <summary>Gets the bucket a request draws from: <c>key:{key_id}</c>, or <c>ip:{address}</c> without a valid key.</summary>
    /// <param name="http">The request.</param>
    /// <returns>The partition key.</returns>
    public static string PartitionOf(HttpContext http) =>
        http.User.FindFirst(ApiCaller.KeyIdClaim)?.Value is { } keyId
            ? KeyPartitionPrefix + keyId
            : "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    private static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        var response = context.HttpContext.Response;
        response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        response.ContentType = "application/json";
        var detail = $"Rate limit exceeded for this API key; retry after {seconds} s.";
        await response.WriteAsync(new JsonObject { ["detail"] = detail }.ToJsonString(), cancellationToken);
    }
}
