using System.Net;
using System.Net.Sockets;
using System.Text;
using Agent.Persistence.Webhooks;
using Polly.Timeout;

namespace Agent.Worker.Webhooks;

/// <summary>
/// POSTs a webhook body over the <c>webhooks</c> HTTP client that <c>AddWebhookDelivery</c>
/// builds: retries and per-attempt timeouts from Microsoft.Extensions.Http.Resilience, an HMAC signature on every
/// attempt (<see cref="WebhookSigningHandler"/>), no redirects, and a connection that is checked where it is made
/// (<see cref="CreateConnectionHandler"/>).
/// </summary>
/// <param name="client">The typed client, with the resilience and signing handlers.</param>
internal sealed class WebhookSender(HttpClient client)
{
    /// <summary>Delivers one body, retrying as configured.</summary>
    /// <param name="url">The webhook.</param>
    /// <param name="body">The JSON body.</param>
    /// <param name="cancellationToken">Stops the delivery (worker shutdown).</param>
    /// <returns>The final status code, or the reason no response came.</returns>
    public async Task<(int? StatusCode, string? Failure)> SendAsync(Uri url, string body, CancellationToken cancellationToken)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            using var response = await client.SendAsync(request, cancellationToken);
            return ((int)response.StatusCode, null);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException)
        {
            return (null, ex.InnerException is WebhookRefusedException refused ? refused.Message : ex.Message);
        }
    }

    /// <summary>
    /// Builds the connection handler: the host is resolved and a private, loopback or link-local address is refused
    /// unless <paramref name="allowPrivateNetworks"/>, so a DNS answer that changed since the run was created cannot
    /// reach the internal network; no redirects, no proxy.
    /// </summary>
    /// <param name="allowPrivateNetworks">Whether private addresses may be reached (<see cref="WebhookOptions.AllowPrivateNetworks"/>).</param>
    /// <returns>The handler.</returns>
    public static SocketsHttpHandler CreateConnectionHandler(bool allowPrivateNetworks) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var allowed = addresses.Where(a => allowPrivateNetworks || WebhookAddresses.IsPublic(a)).ToArray();
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
}

/// <summary>Thrown when a webhook would connect to an address the policy refuses; never retried.</summary>
/// <param name="message">Why.</param>
internal sealed class WebhookRefusedException(string message) : IOException(message);
