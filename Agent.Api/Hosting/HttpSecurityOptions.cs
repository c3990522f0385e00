namespace Agent.Api.Hosting;

/// <summary>
/// Browser-facing settings (section <c>Http</c>): which origins may call the API from a web page (CORS), and the
/// Content-Security-Policy sent with every response.
/// </summary>
public sealed class HttpSecurityOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Http";

    /// <summary>
    /// Gets or sets the origins allowed by CORS, comma-separated, e.g. <c>https://chat.example.com,http://localhost:3000</c>;
    /// <c>*</c> allows every origin. Default empty: no cross-origin calls (CLI and server clients are unaffected).
    /// Credentials (cookies) are never allowed: keys travel in headers.
    /// </summary>
    public string CorsAllowedOrigins { get; set; } = "";

    /// <summary>
    /// Gets or sets the <c>Content-Security-Policy</c> header. Default <c>default-src 'none'; frame-ancestors 'none'</c>,
    /// right for an API that serves only JSON and event streams; empty sends none (e.g. to serve an HTML UI).
    /// </summary>
    public string ContentSecurityPolicy { get; set; } = "default-src 'none'; frame-ancestors 'none'";

    /// <summary>Gets the allowed origins as a list.</summary>
    /// <returns>The origins, trimmed, without a trailing slash.</returns>
    public IReadOnlyList<string> Origins() =>
        CorsAllowedOrigins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(o => o.TrimEnd('/')).ToList();
}
