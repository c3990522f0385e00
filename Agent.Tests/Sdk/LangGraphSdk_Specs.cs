using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;

namespace Agent.Tests.Sdk;

/// <summary>
/// Drives a real system (API and worker processes; the worker's model is our fake OpenAI-compatible server, whose
/// latency the scripts set through its <c>/_control</c> route) with the official LangGraph JS SDK: each
/// <c>*.test.mjs</c> file in this folder runs under <c>node --test</c> and must exit 0. The SDK version is pinned
/// in package.json and package-lock.json; <c>npm ci</c> installs it when node_modules is missing.
/// </summary>
[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_the_official_LangGraph_JS_SDK_drives_the_server
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);
    private FakeOpenAIServer model = null!;
    private AgentSystem system = null!;

    /// <summary>Gets the suite's scripts, one test case each.</summary>
    public static IEnumerable<string> Scripts =>
        Directory.EnumerateFiles(LangGraphSdkScripts.SuiteDirectory, "*.test.mjs").Select(Path.GetFileName).Order().OfType<string>();

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        await LangGraphSdkScripts.EnsureInstalledAsync();
        model = await FakeOpenAIServer.StartAsync();
        system = await AgentSystem.StartAsync(
            apiCount: 1,
            new Dictionary<string, string?>
            {
                ["OPENAI_API_KEY"] = "sk-test-fake",
                ["OPENAI_BASE_URL"] = model.BaseUrl.ToString(),
                ["AGENT_MODEL"] = "gpt-4o-mini",
                ["AgentWorker__SchedulerIntervalMs"] = "200",
            });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (system is not null)
        {
            await system.DisposeAsync();
        }

        if (model is not null)
        {
            await model.DisposeAsync();
        }
    }

    [TestCaseSource(nameof(Scripts))]
    public async Task Should_pass_the_SDK_script(string script)
    {
        var (exit, output) = await LangGraphSdkScripts.RunAsync(
            "node", ["--test", "--test-reporter=spec", script], LangGraphSdkScripts.Environment(system, model), ScriptTimeout);

        if (exit != 0)
        {
            await TestContext.Out.WriteLineAsync(system.Logs());
        }

        Assert.That(exit, Is.Zero, $"node --test {script} failed:\n{output}");
    }
}
