using Agent.Tests.Infrastructure;

namespace Agent.Tests;

/// <summary>
/// Decides where the test servers come from before any test of the assembly runs (every test lives under the
/// <c>Agent.Tests</c> namespace), and stops any container it started after the last one. Agent.Benchmarks derives
/// its own from it.
/// </summary>
[SetUpFixture]
public class TestServersSetUp
{
    /// <summary>Decides the servers, starting containers if that is the answer.</summary>
    /// <returns>A task that completes when the servers are known.</returns>
    [OneTimeSetUp]
    public async Task StartAsync()
    {
        // Pulling an image on a first run takes a while; a run that uses no containers returns at once.
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await TestServers.StartAsync(deadline.Token);
        await TestContext.Progress.WriteLineAsync($"Test servers: PostgreSQL from {TestServers.PostgresSource}, RabbitMQ from {TestServers.RabbitMqSource}");
    }

    /// <summary>Stops the containers.</summary>
    /// <returns>A task that completes when they are gone.</returns>
    [OneTimeTearDown]
    public Task StopAsync() => TestServers.StopAsync();
}
