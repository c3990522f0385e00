using Microsoft.Playwright;

namespace Agent.Tests.WebConsole;

/// <summary>
/// Debian's headless chromium driven by Playwright for .NET. Playwright's own browser download cannot reach its CDN
/// from these machines, so the system browser is launched by path (<c>AGENT_TEST_CHROMIUM</c>, default
/// <c>/usr/bin/chromium</c>; <c>deploy/local/test.sh</c> installs it when missing) with a new, empty profile.
/// </summary>
internal sealed class ConsoleBrowser : IAsyncDisposable
{
    // Flags that work on these machines: no sandbox (root), no GPU, and nothing that calls out to Google's services.
    private static readonly string[] Flags =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright playwright;
    private readonly string profile;

    private ConsoleBrowser(IPlaywright playwright, IBrowserContext context, string profile)
    {
        this.playwright = playwright;
        Context = context;
        this.profile = profile;
    }

    /// <summary>Gets the browser context (one profile; each page has its own sessionStorage).</summary>
    public IBrowserContext Context { get; }

    /// <summary>Gets the chromium executable the tests use.</summary>
    public static string Executable { get; } = Environment.GetEnvironmentVariable("AGENT_TEST_CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>
    /// Gets the directory screenshots are written to: <c>AGENT_CONSOLE_SCREENSHOTS</c> (e.g. <c>docs/console</c> to
    /// refresh the documentation's pictures), else the test run's work directory.
    /// </summary>
    public static string ScreenshotDirectory { get; } =
        Environment.GetEnvironmentVariable("AGENT_CONSOLE_SCREENSHOTS") is { Length: > 0 } directory
            ? Path.GetFullPath(directory, TestContext.CurrentContext.WorkDirectory)
            : Path.Combine(TestContext.CurrentContext.WorkDirectory, "console-screenshots");

    /// <summary>Launches chromium with a new empty user-data-dir.</summary>
    /// <returns>The browser.</returns>
    public static async Task<ConsoleBrowser> LaunchAsync()
    {
        if (!File.Exists(Executable))
        {
            // deploy/local/test.sh (and so CI) installs chromium and names it: there, a missing browser is a failure.
            if (Environment.GetEnvironmentVariable("AGENT_TEST_CHROMIUM") is { Length: > 0 })
            {
                Assert.Fail($"AGENT_TEST_CHROMIUM names {Executable}, which does not exist.");
            }

            Assert.Ignore($"No chromium at {Executable}: install Debian's chromium (deploy/local/test.sh does) or set AGENT_TEST_CHROMIUM.");
        }

        var profile = Directory.CreateTempSubdirectory("agent-console-chromium-").FullName;
        var playwright = await Playwright.CreateAsync();
        try
        {
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = Executable,
                Headless = true,
                Args = Flags,
                ViewportSize = new ViewportSize { Width = 1200, Height = 760 },
                Timeout = 60_000,
            });
            // Generous waits: the suite shares two cores with everything else; an expectation polls until it holds.
            context.SetDefaultTimeout(30_000);
            Assertions.SetDefaultExpectTimeout(30_000);
            return new ConsoleBrowser(playwright, context, profile);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Opens the console in a new page and signs in with a key.</summary>
    /// <param name="api">The API's base address.</param>
    /// <param name="apiKey">The key.</param>
    /// <returns>The page, showing the run list.</returns>
    public async Task<IPage> SignInAsync(Uri api, string apiKey)
    {
        var page = await OpenAsync(new Uri(api, "/ui"));
        await page.FillAsync("#api-key", apiKey);
        await page.ClickAsync("#login button[type=submit]");
        await page.WaitForSelectorAsync("#runs-list");
        return page;
    }

    /// <summary>
    /// Opens an address in a new page whose console errors, uncaught errors and failed requests go to the test's output.
    /// </summary>
    /// <param name="address">The page's address.</param>
    /// <returns>The page, loaded.</returns>
    public async Task<IPage> OpenAsync(Uri address)
    {
        var page = await Context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                TestContext.Out.WriteLine($"browser console: {message.Text}");
            }
        };
        page.PageError += (_, error) => TestContext.Out.WriteLine($"page error: {error}");
        page.RequestFailed += (_, request) => TestContext.Out.WriteLine($"request failed: {request.Method} {request.Url}: {request.Failure}");
        await page.GotoAsync(address.ToString());
        return page;
    }

    /// <summary>Saves a screenshot of the page's viewport as <c>{name}.png</c> in <see cref="ScreenshotDirectory"/>.</summary>
    /// <param name="page">The page.</param>
    /// <param name="name">The file name without extension.</param>
    /// <returns>The file's path.</returns>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, Type = ScreenshotType.Png });
        TestContext.AddTestAttachment(path);
        return path;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        playwright.Dispose();
        try
        {
            Directory.Delete(profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be writing its profile while it exits; the directory is under /tmp.
        }
    }
}
