using System.Net;
using System.Net.Sockets;
using System.Text;
using Agent.Persistence.Webhooks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Agent.Worker.Webhooks;

/// <summary>
/// POSTs a webhook body with retries (Polly: exponential backoff with jitter, on network errors, timeouts, 408, 429
/// and 5xx), an HMAC signature header (<see cref="WebhookSignature"/>) and no redirects. The connection is checked
/// where it is made: the host is resolved and a private, loopback or link-local address is refused unless
/// <see cref="WebhookOptions.AllowPrivateNetworks"/>, so a DNS answer that changed since the run was created cannot
/// reach the internal network.
/// </summary>
internal sealed partial class WebhookSender : IDisposable
{
    private readonly HttpClient client;
    private readonly ResiliencePipeline<HttpResponseMessage> pipeline;
    private readonly WebhookOptions options;
    private readonly TimeProvider timeProvider;

    /// <summary>Initializes a new instance of the <see cref="WebhookSender"/> class.</summary>
    /// <param name="options">The webhook options.</param>
    /// <param name="timeProvider">The clock (signature timestamps).</param>
    /// <param name="logger">The logger (retries).</param>
    public WebhookSender(IOptions<WebhookOptions> options, TimeProvider timeProvider, ILogger<WebhookSender> logger)
    {
        this.options = options.Value;
        this.timeProvider = timeProvider;
        var allowPrivate = this.options.AllowPrivateNetworks;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                var host = context.DnsEndPoint.Host;
                var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
                var allowed = addresses.Where(a => allowPrivate || WebhookAddresses.IsPublic(a)).ToArray();
                if (allowed.Length == 0)
                {
                    throw new WebhookRefusedException($"webhook host '{host}' resolves only to private, loopback or link-local addresses.");
                }

                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = this.options.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(this.options.RetryBaseDelayMs),
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>(ex => ex.InnerException is not WebhookRefusedException)
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout),
                OnRetry = args =>
                {
                    LogRetry(logger, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds,
                        args.Outcome.Result is { } response ? ((int)response.StatusCode).ToString() : args.Outcome.Exception?.Message);
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .AddTimeout(TimeSpan.FromSeconds(this.options.TimeoutSeconds))
            .Build();
    }

    /// <summary>Delivers one body, retrying as configured.</summary>
    /// <param name="url">The webhook.</param>
    /// <param name="body">The JSON body.</param>
    /// <param name="cancellationToken">Stops the delivery (worker shutdown).</param>
    /// <returns>The final status code, or the reason no response came.</returns>
    public async Task<(int? StatusCode, string? Failure)> SendAsync(Uri url, string body, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await pipeline.ExecuteAsync(
                async token =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, url)
                    {
                        Content = new StringContent(body, Encoding.UTF8, "application/json"),
                    };
                    if (!string.IsNullOrEmpty(options.SigningSecret))
                    {
                        request.Headers.Add(WebhookSignature.Header,
                            WebhookSignature.Compute(options.SigningSecret, timeProvider.GetUtcNow().ToUnixTimeSeconds(), body));
                    }

                    return await client.SendAsync(request, token);
                },
                cancellationToken);
            return ((int)response.StatusCode, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException)
        {
            return (null, ex.InnerException is WebhookRefusedException refused ? refused.Message : ex.Message);
        }
    }

    /// <inheritdoc />
    public void Dispose() => client.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook attempt {Attempt} failed ({Reason}); retrying in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, int attempt, double delayMs, string? reason);

    /// <summary>Thrown when a webhook would connect to an address the policy refuses.</summary>
    /// <param name="message">Why.</param>
    private sealed class WebhookRefusedException(string message) : IOException(message);
}
