using System.ClientModel;
using System.Data.Common;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Agent.Persistence.Connections;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Agent.Worker.Models.Resilience;

/// <summary>
/// Tells transient failures (worth retrying: the same call may well succeed later) from deterministic ones (bad
/// input, authentication, an unknown model: retrying cannot help), and reads a provider's <c>Retry-After</c>.
/// </summary>
/// <remarks>
/// Transient: a per-call timeout (<see cref="TimeoutRejectedException"/>), HTTP 408, 409, 429 and every 5xx
/// (the statuses the OpenAI SDK's own <c>ClientRetryPolicy</c> retries, plus 409 and the other 5xx), a response that
/// never came or broke off (status 0, <see cref="HttpRequestException"/> without a status, <see cref="IOException"/>,
/// <see cref="SocketException"/>, <see cref="TimeoutException"/>), and database errors the driver marks transient
/// (<see cref="DbException.IsTransient"/>, e.g. Npgsql while PostgreSQL restarts) or a prepared statement a migration made
/// stale (<see cref="StatementPreparation.IsStalePlan"/>: sent again, it is prepared afresh). Everything else is
/// deterministic.
/// </remarks>
internal static class TransientFailures
{
    /// <summary>Determines whether a failure is transient, looking through inner exceptions.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns><see langword="true"/> when retrying may succeed.</returns>
    public static bool IsTransient(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case TimeoutRejectedException or TimeoutException or SocketException or IOException or BrokenCircuitException:
                    return true;
                case OperationCanceledException:
                    // A cancellation is a decision (shutdown, cancel, deadline), never a failure to retry.
                    return false;
                case ClientResultException { Status: not 0 } result:
                    return IsTransientStatus(result.Status);
                case HttpRequestException { StatusCode: { } status }:
                    return IsTransientStatus((int)status);
                case HttpRequestException:
                    return true;
                case DbException { IsTransient: true }:
                    return true;
                case DbException when StatementPreparation.IsStalePlan(e):
                    return true;
                default:
                    break;
            }
        }

        // The SDK reports a request that got no response at all as status 0.
        return exception is ClientResultException { Status: 0 };
    }

    /// <summary>Determines whether an HTTP status is worth retrying.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <returns><see langword="true"/> for 408, 409, 429 and 5xx.</returns>
    public static bool IsTransientStatus(int status) =>
        status is (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.Conflict or (int)HttpStatusCode.TooManyRequests or >= 500;

    /// <summary>
    /// Reads how long the provider asked us to wait: the <c>retry-after-ms</c> header (OpenAI), else
    /// <c>Retry-After</c> in seconds or as an HTTP date (RFC 9110 section 10.2.3).
    /// </summary>
    /// <param name="exception">The failure (inner exceptions are searched).</param>
    /// <param name="now">The current time, for an HTTP date.</param>
    /// <returns>The wait, or null when the failure carries none.</returns>
    public static TimeSpan? RetryAfter(Exception exception, DateTimeOffset now)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            // An open circuit (Models/Resilience) knows when it will let a call through again.
            if (e is BrokenCircuitException { RetryAfter: { } reopens })
            {
                return reopens;
            }

            if (e is not ClientResultException result || result.GetRawResponse() is not { } response)
            {
                continue;
            }

            if (response.Headers.TryGetValue("retry-after-ms", out var milliseconds)
                && double.TryParse(milliseconds, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
            {
                return TimeSpan.FromMilliseconds(ms);
            }

            if (response.Headers.TryGetValue("Retry-After", out var value) && value is not null)
            {
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
                {
                    return TimeSpan.FromSeconds(seconds);
                }

                if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
                {
                    return date > now ? date - now : TimeSpan.Zero;
                }
            }
        }

        return null;
    }

    /// <summary>Finds the HTTP status of a failure, for a run's error object.</summary>
    /// <param name="exception">The failure (inner exceptions are searched).</param>
    /// <returns>The status, or null when there was no response.</returns>
    public static int? StatusCode(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case ClientResultException { Status: not 0 } result:
                    return result.Status;
                case HttpRequestException { StatusCode: { } status }:
                    return (int)status;
                default:
                    break;
            }
        }

        return null;
    }
}
