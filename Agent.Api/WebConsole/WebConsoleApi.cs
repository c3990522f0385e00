using System.Reflection;

namespace Agent.Api.WebConsole;

/// <summary>
/// Serves the web console at <c>/ui</c>: one HTML page, its script modules and its stylesheet, embedded in the API
/// assembly (no build step, no extra process, nothing fetched from elsewhere). The files themselves hold no data and
/// answer without a key; every call they make to the API sends the key the user entered, which the page keeps in
/// <c>sessionStorage</c> and never puts in a URL, so the console sees exactly what that key's tenant may see.
/// </summary>
/// <remarks>
/// Each file gets a route of its own (no <c>{file}</c> parameter): the set is fixed at build time, and nothing else
/// under <c>/ui</c> is served. The console's pages carry a strict <c>Content-Security-Policy</c> (<see cref="Policy"/>):
/// scripts and styles only from this origin, no inline script or style, no framing, and calls only back to this API.
/// </remarks>
internal static class WebConsoleApi
{
    /// <summary>The path the console is served at.</summary>
    public const string BasePath = "/ui";

    /// <summary>The Content-Security-Policy of every console file (OWASP CSP Cheat Sheet, "strict policy").</summary>
    public const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private const string ResourcePrefix = "webconsole/";

    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>Maps <c>/ui</c> (the page; routing also matches <c>/ui/</c>) and <c>/ui/{each embedded file}</c>.</summary>
    /// <param name="app">The route builder.</param>
    /// <returns>The route builder.</returns>
    public static IEndpointRouteBuilder MapWebConsole(this IEndpointRouteBuilder app)
    {
        var assembly = typeof(WebConsoleApi).Assembly;
        var files = assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .ToDictionary(n => n[ResourcePrefix.Length..], n => Read(assembly, n), StringComparer.Ordinal);
        foreach (var (name, content) in files)
        {
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
            app.MapGet($"{BasePath}/{name}", (HttpContext http) => Serve(http, content, type))
                .WithTags("Console").ExcludeFromDescription().AllowAnonymous();
        }

        if (files.TryGetValue("index.html", out var page))
        {
            app.MapGet(BasePath, (HttpContext http) => Serve(http, page, ContentTypes[".html"]))
                .WithTags("Console").WithName("Console").WithSummary("The web console (HTML; the key is entered on the page).").AllowAnonymous();
        }

        return app;
    }

    private static IResult Serve(HttpContext http, byte[] content, string type)
    {
        http.Response.Headers.ContentSecurityPolicy = Policy;
        return Results.Bytes(content, type);
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
