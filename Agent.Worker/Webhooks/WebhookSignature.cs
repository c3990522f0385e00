using System.Security.Cryptography;
using System.Text;

namespace Agent.Worker.Webhooks;

/// <summary>
/// Signs webhook deliveries, our improvement on LangGraph (which sends none): header
/// <c>X-Agent-Signature: t={unix seconds},v1={hex HMAC-SHA256(secret, "{t}.{body}")}</c>. A receiver recomputes the
/// HMAC over the timestamp, a dot and the raw body, compares in constant time, and rejects old timestamps (replays).
/// </summary>
public static class WebhookSignature
{
    /// <summary>The header name.</summary>
    public const string Header = "X-Agent-Signature";

    /// <summary>Computes the header value.</summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="timestamp">The signing time, in Unix seconds.</param>
    /// <param name="body">The exact request body.</param>
    /// <returns><c>t=...,v1=...</c>.</returns>
    public static string Compute(string secret, long timestamp, string body)
    {
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}"));
        return $"t={timestamp},v1={Convert.ToHexStringLower(mac)}";
    }
}
