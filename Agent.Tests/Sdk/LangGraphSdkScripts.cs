using System.Diagnostics;
using System.Text;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;

namespace Agent.Tests.Sdk;

/// <summary>
/// Runs scripts written with the official LangGraph JS SDK (this folder; its version pinned in package.json and
/// package-lock.json) against a real system: <see cref="When_the_official_LangGraph_JS_SDK_drives_the_server"/> runs
/// the <c>*.test.mjs</c> suite, and other fixtures run their own script (e.g. the sample agent's).
/// </summary>
internal static class LangGraphSdkScripts
{
    /// <summary>Gets the folder of the scripts.</summary>
    public static string SuiteDirectory { get; } = Path.Combine(TestEnvironment.RepositoryRoot, "Agent.Tests", "Sdk");

    /// <summary>
    /// Fails the test unless node and npm are installed, and runs <c>npm ci</c> when the SDK or esbuild (which bundles
    /// react-page) is missing.
    /// </summary>
    /// <returns>A task completing when the SDK is installed.</returns>
    public static async Task EnsureInstalledAsync()
    {
        if (FindOnPath("node") is null || FindOnPath("npm") is null)
        {
            Assert.Fail("node and npm are needed for the SDK suite: install Debian's nodejs and npm (deploy/local/test.sh does).");
        }

        if (!Directory.Exists(Path.Combine(SuiteDirectory, "node_modules", "@langchain", "langgraph-sdk"))
            || !Directory.Exists(Path.Combine(SuiteDirectory, "node_modules", "esbuild")))
        {
            var (exit, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], new Dictionary<string, string?>(), TimeSpan.FromMinutes(5));
            Assert.That(exit, Is.Zero, "npm ci failed:\n" + output);
        }
    }

    /// <summary>Gets the environment a script reads (lib.mjs): the API, its key and the fake model's control address.</summary>
    /// <param name="system">The system under test.</param>
    /// <param name="model">The fake model server its workers call.</param>
    /// <returns>The variables.</returns>
    public static Dictionary<string, string?> Environment(AgentSystem system, FakeOpenAIServer model) => new()
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

    /// <summary>Runs one script with <c>node</c> (after <see cref="EnsureInstalledAsync"/>).</summary>
    /// <param name="script">The script's file name in <see cref="SuiteDirectory"/>.</param>
    /// <param name="system">The system under test.</param>
    /// <param name="model">The fake model server.</param>
    /// <param name="question">Passed to the script as <c>QUESTION</c>.</param>
    /// <param name="timeout">The deadline.</param>
    /// <returns>The exit code and output.</returns>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string script, AgentSystem system, FakeOpenAIServer model, string question, TimeSpan timeout)
    {
        await EnsureInstalledAsync();
        var environment = Environment(system, model);
        environment["QUESTION"] = question;
        return await RunAsync("node", [script], environment, timeout);
    }

    /// <summary>Runs a program in the suite's folder and collects its output.</summary>
    /// <param name="program">The program, e.g. <c>node</c>.</param>
    /// <param name="arguments">Its arguments.</param>
    /// <param name="environment">Environment variables to set; a null value removes the variable.</param>
    /// <param name="timeout">The deadline; the process tree is killed after it.</param>
    /// <returns>The exit code (-1 when killed) and the output (stdout and stderr interleaved).</returns>
    public static async Task<(int ExitCode, string Output)> RunAsync(
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

    public static string? FindOnPath(string program) =>
        (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
}
