using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using static Agent.Tests.EndToEnd.EndToEndClient;

namespace Agent.Tests.EndToEnd;

[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_two_worker_processes_share_a_provider_rate_limit
{
    // 60 requests per minute, evenly paced: one call every second across both workers.
    private const int RequestsPerMinute = 60;

    [Test]
    public async Task Should_keep_the_calls_the_model_server_receives_within_the_limit()
    {
        await using var model = await FakeOpenAIServer.StartAsync();
        var environment = new Dictionary<string, string?>
        {
            ["OPENAI_API_KEY"] = "sk-test-fake",
            ["OPENAI_BASE_URL"] = model.BaseUrl.ToString(),
            ["AGENT_MODEL"] = "gpt-4o-mini",
            ["AgentWorker__Slots"] = "4",
            ["RateLimits__0__Model"] = "gpt-4o-mini",
            ["RateLimits__0__RequestsPerMinute"] = RequestsPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        await using var system = await AgentSystem.StartAsync(apiCount: 1, environment);
        await system.AddWorkerAsync(environment);
        using var client = system.Client();

        // Six runs of two model calls each, submitted at once to two workers with four slots each: unlimited, all
        // twelve calls would reach the server within a second or two.
        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
            PostJsonAsync(client, "/runs/wait", RunBody($"How do I create index number {i}?"))));

        var arrivals = model.Requests.Select(r => r.ReceivedAt).Order().ToList();
        var window = TimeSpan.FromSeconds(4);
        // The limit admits 4 calls in any 4 s window, plus one for a window that starts on an admission, plus one
        // because a call admitted on time can reach the server late (a worker's first call, JIT and connection set-up).
        var allowed = (int)(window / (TimeSpan.FromMinutes(1) / RequestsPerMinute)) + 2;
        await TestContext.Out.WriteLineAsync("arrivals (ms): " + string.Join(", ", arrivals.Select(t => (t - arrivals[0]).TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture))));
        var busiest = arrivals.Select(start => arrivals.Count(t => t >= start && t < start + window)).Max();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(runs.Select(r => r["messages"]?.AsArray().Count), Is.All.EqualTo(4), "every run finished with its answer");
            Assert.That(arrivals, Has.Count.EqualTo(12));
            Assert.That(busiest, Is.LessThanOrEqualTo(allowed), $"calls in the busiest 4 s window (limit {RequestsPerMinute}/min)");
        }
    }
}
