using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.RateLimiting;
using Agent.Api.Auth;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Agent.Api.RateLimiting;

/// <summary>
/// Limits each API key's request rate with ASP.NET Core's rate limiter: a token bucket per key id (refilled
/// continuously at <see cref="ApiRateLimitOptions.RequestsPerMinute"/>, holding up to
/// <see cref="ApiRateLimitOptions.Burst"/>), answering 429 with <c>Retry-After</c> and a detail when it is empty.
/// </summary>
/// <remarks>
/// Requests without a valid key share a bucket per client IP, so guessing keys is throttled too. <c>/ok</c> is never
/// limited (probes). Each replica keeps its own buckets: with N replicas behind a balancer a key gets up to N times
/// the rate, which is the usual trade for not adding a shared store to every request.
/// </remarks>
internal static class ApiRateLimitingExtensions
{
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
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ApiRateLimitOptions>>((limiter, settings) =>
        {
            var rate = settings.Value;
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = OnRejectedAsync;
            if (rate.RequestsPerMinute == 0)
            {
                return;
            }

            var bucket = new TokenBucketRateLimiterOptions
            {
                TokenLimit = rate.Burst,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1) / rate.RequestsPerMinute,
                QueueLimit = 0,
                // The partitioned limiter's own timer (every 100 ms) refills every bucket by the time elapsed.
                AutoReplenishment = false,
            };
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                http.Request.Path.Equals("/ok", StringComparison.OrdinalIgnoreCase)
                    ? RateLimitPartition.GetNoLimiter("probe")
                    : RateLimitPartition.GetTokenBucketLimiter(PartitionOf(http), _ => bucket));
        });
        return services;
    }

    /// <summary>Gets the bucket a request draws from: <c>key:{key_id}</c>, or <c>ip:{address}</c> without a valid key.</summary>
    /// <param name="http">The request.</param>
    /// <returns>The partition key.</returns>
    public static string PartitionOf(HttpContext http) =>
        http.User.FindFirst(ApiCaller.KeyIdClaim)?.Value is { } keyId
            ? "key:" + keyId
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
