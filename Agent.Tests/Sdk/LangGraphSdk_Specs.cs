using System.Diagnostics;
using System.Text;
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

    /// <summary>Gets the folder of the suite.</summary>
    public static string SuiteDirectory { get; } = Path.Combine(TestEnvironment.RepositoryRoot, "Agent.Tests", "Sdk");

    /// <summary>Gets the suite's scripts, one test case each.</summary>
    public static IEnumerable<string> Scripts =>
        Directory.EnumerateFiles(SuiteDirectory, "*.test.mjs").Select(Path.GetFileName).Order().OfType<string>();

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (FindOnPath("node") is null || FindOnPath("npm") is null)
        {
            Assert.Fail("node and npm are needed for the SDK suite: install Debian's nodejs and npm (deploy/local/test.sh does).");
        }

        if (!Directory.Exists(Path.Combine(SuiteDirectory, "node_modules", "@langchain", "langgraph-sdk")))
        {
            var (exit, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], new Dictionary<string, string?>(), TimeSpan.FromMinutes(5));
            Assert.That(exit, Is.Zero, "npm ci failed:\n" + output);
        }

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
        var environment = new Dictionary<string, string?>
        {
            ["AGENT_API_URL"] = system.Apis[0].ToString().TrimEnd('/'),
            // The SDK sends it as x-api-key, as it would to LangGraph Platform.
            ["AGENT_API_KEY"] = system.ApiKey,
            ["FAKE_MODEL_URL"] = new Uri(model.BaseUrl, "/").ToString(),
            // Keeps a developer's own LangSmith/LangGraph key from being sent to the server under test.
            ["LANGGRAPH_API_KEY"] = null,
            ["LANGSMITH_API_KEY"] = null,
            ["LANGCHAIN_API_KEY"] = null,
        };

        var (exit, output) = await RunAsync("node", ["--test", "--test-reporter=spec", script], environment, ScriptTimeout);

        if (exit != 0)
        {
            await TestContext.Out.WriteLineAsync(system.Logs());
        }

        Assert.That(exit, Is.Zero, $"node --test {script} failed:\n{output}");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(
        string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = SuiteDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Append(output, $"(killed after {timeout})");
            return (-1, Text(output));
        }

        return (process.ExitCode, Text(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Text(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
