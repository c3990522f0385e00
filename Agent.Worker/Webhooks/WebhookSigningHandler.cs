using Microsoft.Extensions.Options;

namespace Agent.Worker.Webhooks;

/// <summary>
/// Signs each attempt of a webhook delivery (<see cref="WebhookSignature"/>, header <c>X-Agent-Signature</c>) with the
/// time of that attempt; it sits inside the retry handler, so a retry carries a fresh timestamp. Sends unsigned when
/// <see cref="WebhookOptions.SigningSecret"/> is not set.
/// </summary>
/// <param name="options">The webhook options.</param>
/// <param name="timeProvider">The clock (signature timestamps).</param>
internal sealed class WebhookSigningHandler(IOptions<WebhookOptions> options, TimeProvider timeProvider) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var secret = options.Value.SigningSecret;
        if (!string.IsNullOrEmpty(secret) && request.Content is not null)
        {
            var body = await request.Content.ReadAsStringAsync(cancellationToken);
            request.Headers.Remove(WebhookSignature.Header);
            request.Headers.Add(WebhookSignature.Header, WebhookSignature.Compute(secret, timeProvider.GetUtcNow().ToUnixTimeSeconds(), body));
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
