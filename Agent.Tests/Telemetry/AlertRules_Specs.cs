using System.Diagnostics;
using Agent.Tests.Infrastructure;

namespace Agent.Tests.Telemetry;

[TestFixture]
public sealed class When_the_alert_rules_are_checked_with_promtool
{
    private static readonly string Directory = Path.Combine(TestEnvironment.RepositoryRoot, "deploy", "observability");

    [Test]
    public async Task Should_be_valid_and_fire_on_backlog_budget_and_latency_as_their_unit_tests_expect()
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists);
        if (promtool is null)
        {
            // deploy/local/test.sh (what CI runs) installs promtool and sets AGENT_TEST_REQUIRE_PROMTOOL: there a missing
            // promtool is a failure, not a reason to skip.
            if (Environment.GetEnvironmentVariable("AGENT_TEST_REQUIRE_PROMTOOL") == "1")
            {
                Assert.Fail("promtool is not installed (Debian package prometheus), and AGENT_TEST_REQUIRE_PROMTOOL=1 requires it.");
            }

            Assert.Ignore("promtool is not installed (Debian package prometheus); the rules are not checked here.");
        }

        var check = await RunAsync(promtool, "check", "rules", "alert-rules.yml");
        var test = await RunAsync(promtool, "test", "rules", "alert-rules.test.yml");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(check.ExitCode, Is.Zero, check.Output);
            Assert.That(test.ExitCode, Is.Zero, test.Output);
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
