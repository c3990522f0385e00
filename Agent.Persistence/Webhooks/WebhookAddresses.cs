using System.Net;
using System.Net.Sockets;

namespace Agent.Persistence.Webhooks;

/// <summary>
/// Decides which addresses a webhook may be delivered to (shared by the API, which checks a webhook when a run is
/// created, and the worker, which checks the address it actually connects to, so DNS cannot be changed in between).
/// Loopback, private (RFC 1918, unique-local), link-local (including cloud metadata at 169.254.169.254), carrier-grade
/// NAT, multicast, unspecified and reserved addresses are refused unless <c>Webhooks:AllowPrivateNetworks</c> is true.
/// </summary>
public static class WebhookAddresses
{
    /// <summary>The configuration key that allows private and loopback webhook targets (environment <c>Webhooks__AllowPrivateNetworks</c>).</summary>
    public const string AllowPrivateNetworksKey = "Webhooks:AllowPrivateNetworks";

    /// <summary>Tells whether an address is on the public internet.</summary>
    /// <param name="address">The address.</param>
    /// <returns>True for a public unicast address.</returns>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)
            || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0 || b[0] == 10 || b[0] == 127 || b[0] >= 224
                     || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)
                     || (b[0] == 169 && b[1] == 254)
                     || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                     || (b[0] == 192 && b[1] == 168)
                     || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                     || (b[0] == 198 && (b[1] == 18 || b[1] == 19)));
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
                     || (b[0] & 0xFE) == 0xFC);
        }

        return false;
    }

    /// <summary>The 422 detail of a webhook URL that is not of the accepted form.</summary>
    public const string UrlError = "webhook must be an absolute http(s) URL of at most 2048 characters.";

    /// <summary>Checks a webhook URL's form: absolute <c>http</c> or <c>https</c>, at most 2,048 characters.</summary>
    /// <param name="webhook">The URL.</param>
    /// <returns>The URI, or an error for a 422.</returns>
    public static (Uri? Uri, string? Error) ParseUrl(string webhook) =>
        webhook.Length <= 2048 && Uri.TryCreate(webhook, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? (uri, null)
            : (null, UrlError);

    /// <summary>Resolves a webhook's host and checks every address it resolves to.</summary>
    /// <param name="uri">The URL.</param>
    /// <param name="allowPrivateNetworks">Whether private and loopback targets are allowed.</param>
    /// <param name="cancellationToken">Cancels the resolution.</param>
    /// <returns>Null when the webhook may be used, else why not (for a 422).</returns>
    public static async Task<string?> CheckAsync(Uri uri, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        if (allowPrivateNetworks)
        {
            return null;
        }

        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(uri.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(uri.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return $"webhook host '{uri.Host}' could not be resolved.";
        }

        var blocked = addresses.FirstOrDefault(a => !IsPublic(a));
        return addresses.Length == 0
            ? $"webhook host '{uri.Host}' could not be resolved."
            : blocked is null
                ? null
                : $"webhook host '{uri.Host}' is a private, loopback or link-local address ({blocked}); set {AllowPrivateNetworksKey}=true to allow it.";
    }
}
