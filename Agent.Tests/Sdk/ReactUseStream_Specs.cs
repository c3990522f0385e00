using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Agent.Tests.WebConsole;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using static Microsoft.Playwright.Assertions;

namespace Agent.Tests.Sdk;

/// <summary>
/// Drives a page built on <c>useStream</c> from <c>@langchain/langgraph-sdk/react</c> (react-page/app.jsx, bundled
/// with esbuild by react-page/bundle.mjs) in Debian's headless chromium against real API and worker processes: the
/// page asks the <c>agent</c> graph a question with <c>search_documents</c> under review, shows the interrupt, and
/// its Approve button resumes the thread with <c>command.resume</c> to the answer. The page is served from another
/// origin than the API, as a deployer's chat UI would be, so the API's CORS settings are part of what is tested.
/// </summary>
[TestFixture]
[Category("Integration")]
[Category("Console")]
[NonParallelizable]
public sealed class When_a_react_page_on_useStream_approves_a_tool_call
{
    private static readonly string PageDirectory = Path.Combine(LangGraphSdkScripts.SuiteDirectory, "react-page", "dist");
    private FakeOpenAIServer model = null!;
    private WebApplication pageServer = null!;
    private AgentSystem system = null!;
    private ConsoleBrowser browser = null!;
    private Uri pageOrigin = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await LangGraphSdkScripts.EnsureInstalledAsync();
        var (exit, output) = await LangGraphSdkScripts.RunAsync(
            "node", ["react-page/bundle.mjs"], new Dictionary<string, string?>(), TimeSpan.FromMinutes(2));
        Assert.That(exit, Is.Zero, "esbuild could not bundle the page:\n" + output);

        pageServer = await StartPageServerAsync();
        pageOrigin = new Uri(pageServer.Urls.First());
        model = await FakeOpenAIServer.StartAsync();
        system = await AgentSystem.StartAsync(
            apiCount: 1,
            new Dictionary<string, string?>
            {
                ["OPENAI_API_KEY"] = "sk-test-fake",
                ["OPENAI_BASE_URL"] = model.BaseUrl.ToString(),
                ["AGENT_MODEL"] = "gpt-4o-mini",
            },
            new Dictionary<string, string?> { ["Http__CorsAllowedOrigins"] = pageOrigin.GetLeftPart(UriPartial.Authority) });
        browser = await ConsoleBrowser.LaunchAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        if (system is not null)
        {
            await system.DisposeAsync();
        }

        if (model is not null)
        {
            await model.DisposeAsync();
        }

        if (pageServer is not null)
        {
            await pageServer.DisposeAsync();
        }
    }

    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(system.Logs());
        }
    }

    [Test]
    public async Task Should_show_the_interrupt_and_resume_with_the_approval_to_the_answer()
    {
        var api = system.Apis[0].ToString().TrimEnd('/');
        var page = await browser.OpenAsync(new Uri(pageOrigin,
            $"/index.html?apiUrl={Uri.EscapeDataString(api)}&apiKey={Uri.EscapeDataString(system.ApiKey)}&assistantId=agent"));

        await page.ClickAsync("#send");
        // The interrupt's value, in HumanInTheLoopMiddleware's shape, reaches the page through useStream.
        await Expect(page.Locator("#interrupt .action-request[data-tool=search_documents]")).ToHaveCountAsync(1);
        await Expect(page.Locator("#status")).ToHaveTextAsync("interrupted");
        var threadId = await page.Locator("#thread").GetAttributeAsync("data-thread-id");
        Assert.That(threadId, Is.Not.Null.And.Not.Empty);
        using var client = system.Client();
        var paused = await client.GetFromJsonAsync<JsonObject>($"/threads/{threadId}");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(paused!["status"]!.GetValue<string>(), Is.EqualTo("interrupted"));
            // The tool waits for the approval.
            Assert.That(paused["values"]!["messages"]!.AsArray().Select(m => m!["type"]!.GetValue<string>()), Is.EqualTo(new[] { "human", "ai" }));
        }

        await page.ClickAsync("#approve");

        await Expect(page.Locator("#answer")).ToContainTextAsync("According to the documents");
        await Expect(page.Locator("#interrupt")).ToHaveCountAsync(0);
        await Expect(page.Locator("#error")).ToHaveCountAsync(0);
        var done = await client.GetFromJsonAsync<JsonObject>($"/threads/{threadId}");
        var types = done!["values"]!["messages"]!.AsArray().Select(m => m!["type"]!.GetValue<string>());
        using (Assert.EnterMultipleScope())
        {
            Assert.That(done["status"]!.GetValue<string>(), Is.EqualTo("idle"));
            Assert.That(types, Is.EqualTo(new[] { "human", "ai", "tool", "ai" }));
            Assert.That(done["values"]!["messages"]![2]!["status"]!.GetValue<string>(), Is.EqualTo("success"));
        }

        await ConsoleBrowser.ScreenshotAsync(page, "react-usestream-approved");
    }

    // A static file server for the bundled page on its own loopback port, standing in for a deployer's web server.
    private static async Task<WebApplication> StartPageServerAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(PageDirectory) });
        await app.StartAsync();
        return app;
    }
}
