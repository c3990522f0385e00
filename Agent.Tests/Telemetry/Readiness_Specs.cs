using System.Net;
using System.Text.Json.Nodes;
using Agent.Tests.Infrastructure;

namespace Agent.Tests.Telemetry;

[TestFixture]
[Category("Integration")]
public sealed class When_the_api_cannot_reach_PostgreSQL
{
    [Test]
    public async Task Should_fail_readiness_naming_postgresql_while_liveness_still_answers()
    {
        var url = new Uri($"http://127.0.0.1:{AgentSystem.FreePort()}");
        // Port 1 on loopback: nothing listens, so connections are refused at once. The shared server keeps running.
        await using var api = ServiceProcess.Start("api-no-database", "Agent.Api", ["--urls", url.ToString()], new Dictionary<string, string?>
        {
            ["ConnectionStrings__Agent"] = "Host=127.0.0.1;Port=1;Username=agent;Password=agent;Database=agent;Timeout=3",
            ["ConnectionStrings__RabbitMq"] = TestEnvironment.RabbitMqUri,
            ["ASPNETCORE_URLS"] = null,
        });
        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(30) };

        var live = await PollAsync(http, "/health/live");
        using var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative));
        var body = JsonNode.Parse(await ready.Content.ReadAsStringAsync())!;

        using (Assert.EnterMultipleScope())
        {
            Assert.That(live, Is.EqualTo(HttpStatusCode.OK), api.Output);
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body.ToJsonString());
            Assert.That(body["status"]!.GetValue<string>(), Is.EqualTo("unhealthy"));
            Assert.That(body["checks"]!["postgresql"]!["status"]!.GetValue<string>(), Is.EqualTo("unhealthy"));
            Assert.That(body["checks"]!["postgresql"]!["description"]!.GetValue<string>(), Does.Contain("127.0.0.1:1"), "names the server it failed to reach");
            Assert.That(body["checks"]!["masstransit-bus"]!["status"]!.GetValue<string>(), Is.EqualTo("healthy"));
        }
    }

    // Until it listens: the first answer, whatever its status.
    private static Task<HttpStatusCode> PollAsync(HttpClient http, string path) =>
        Poll.UntilAsync(
            async () =>
            {
                using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
                return response.StatusCode;
            },
            _ => true,
            TimeSpan.FromSeconds(90),
            retryOn: ex => ex is HttpRequestException);
}
