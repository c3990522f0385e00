using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Microsoft.EntityFrameworkCore;

namespace Agent.Tests.Security;

[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_callers_exceed_the_limits
{
    private SecuredDeployment deployment = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => deployment = await SecuredDeployment.GetAsync();

    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(deployment.System.Logs());
        }
    }

    [Test]
    public async Task Should_answer_429_with_retry_after_once_a_keys_burst_is_spent_and_spare_other_keys()
    {
        // The limited API refills 1 request per minute: the burst of 3 is all a key gets within this test.
        using var greedy = deployment.System.Client(deployment.LimitedApi, (await deployment.CreateKeyAsync("tenant-rate")).Key);
        using var other = deployment.System.Client(deployment.LimitedApi, (await deployment.CreateKeyAsync("tenant-rate")).Key);
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (var i = 0; i < 10; i++)
        {
            var response = await greedy.GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                limited ??= response;
            }
            else
            {
                response.Dispose();
            }
        }

        using var spared = await other.GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));
        using var probe = await greedy.GetAsync(new Uri("/ok", UriKind.Relative));

        Assert.That(limited, Is.Not.Null, string.Join(", ", statuses));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(statuses.Count(s => s == HttpStatusCode.NotFound), Is.InRange(SecuredDeployment.LimitedBurst, SecuredDeployment.LimitedBurst + 1),
                "the burst (plus at most one refill) is served: " + string.Join(", ", statuses));
            Assert.That(statuses.Skip(SecuredDeployment.LimitedBurst + 1), Has.All.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(limited!.Headers.RetryAfter?.Delta?.TotalSeconds, Is.GreaterThanOrEqualTo(1));
            Assert.That(await limited.Content.ReadAsStringAsync(), Does.Contain("Rate limit exceeded"));
            Assert.That(spared.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another key has its own bucket");
            Assert.That(probe.StatusCode, Is.EqualTo(HttpStatusCode.OK), "health probes are never limited");
        }

        limited!.Dispose();
    }

    [Test]
    public async Task Should_give_a_key_one_burst_across_api_replicas()
    {
        // A balancer alternating between two replicas: each replica alone would serve the whole burst of 3.
        var key = (await deployment.CreateKeyAsync("tenant-rate-replicas")).Key;
        using var first = deployment.System.Client(deployment.LimitedApi, key);
        using var second = deployment.System.Client(deployment.LimitedReplica, key);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            using var response = await (i % 2 == 0 ? first : second).GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));
            statuses.Add(response.StatusCode);
        }

        Assert.That(statuses.Count(s => s == HttpStatusCode.NotFound), Is.InRange(SecuredDeployment.LimitedBurst, SecuredDeployment.LimitedBurst + 1),
            "the replicas share one bucket: one burst (plus at most one refill) in all, not one per replica: " + string.Join(", ", statuses));
    }

    [Test]
    public async Task Should_refuse_a_run_beyond_the_tenants_concurrent_runs_with_429_and_keep_the_accepted_ones()
    {
        // The limited API sends runs to a queue no worker reads: they stay pending, so the count is deterministic.
        // One key per request: the tight rate limit is per key, the run limit per tenant.
        var accepted = new List<Guid>();
        for (var i = 0; i < SecuredDeployment.LimitedConcurrentRuns; i++)
        {
            using var client = await LimitedClientAsync("tenant-quota");
            using var response = await client.PostAsJsonAsync("/runs", RunBody());
            accepted.Add(Guid.Parse((await SecuredDeployment.ReadJsonAsync(response))["run_id"]!.GetValue<string>()));
        }

        using var over = await LimitedClientAsync("tenant-quota");
        using var refused = await over.PostAsJsonAsync("/runs", RunBody());
        using var otherTenant = await LimitedClientAsync("tenant-quota-neighbour");
        using var neighbour = await otherTenant.PostAsJsonAsync("/runs", RunBody());
        await using var context = deployment.System.Database.CreateContext();
        var quotaRuns = await context.Runs.AsNoTracking().Where(r => r.TenantId == "tenant-quota").ToListAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(refused.Headers.RetryAfter?.Delta?.TotalSeconds, Is.GreaterThanOrEqualTo(1));
            Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain($"at most {SecuredDeployment.LimitedConcurrentRuns} are allowed"));
            Assert.That(neighbour.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another tenant is not held up");
            Assert.That(quotaRuns.Select(r => r.RunId), Is.EquivalentTo(accepted), "the refused submission created nothing");
            Assert.That(quotaRuns, Has.All.Property(nameof(AgentRun.Status)).EqualTo(AgentRunStatus.Pending));
        }
    }

    [Test]
    public async Task Should_send_security_headers_and_allow_only_the_configured_origin()
    {
        using var client = await LimitedClientAsync("tenant-cors");
        using var preflight = new HttpRequestMessage(HttpMethod.Options, new Uri("/threads", UriKind.Relative));
        preflight.Headers.Add("Origin", SecuredDeployment.AllowedOrigin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "x-api-key,content-type");
        using var allowed = await client.SendAsync(preflight);
        using var stranger = new HttpRequestMessage(HttpMethod.Options, new Uri("/threads", UriKind.Relative));
        stranger.Headers.Add("Origin", "https://evil.example");
        stranger.Headers.Add("Access-Control-Request-Method", "POST");
        using var refused = await client.SendAsync(stranger);
        using var actual = new HttpRequestMessage(HttpMethod.Post, new Uri("/runs", UriKind.Relative)) { Content = JsonContent.Create(new JsonObject()) };
        actual.Headers.Add("Origin", SecuredDeployment.AllowedOrigin);
        using var response = await client.SendAsync(actual);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(allowed.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { SecuredDeployment.AllowedOrigin }));
            Assert.That(string.Join(",", allowed.Headers.GetValues("Access-Control-Allow-Headers")), Does.Contain("x-api-key"));
            Assert.That(refused.Headers.Contains("Access-Control-Allow-Origin"), Is.False, "an origin not configured gets no CORS grant");
            Assert.That(string.Join(",", response.Headers.GetValues("Access-Control-Expose-Headers")),
                Does.Contain("Content-Location").And.Contain("Location"));
            Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
            Assert.That(response.Headers.GetValues("X-Frame-Options"), Is.EqualTo(new[] { "DENY" }));
            Assert.That(response.Headers.GetValues("Referrer-Policy"), Is.EqualTo(new[] { "no-referrer" }));
            Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(), Does.Contain("default-src 'none'"));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
        }
    }

    private static JsonObject RunBody() => new()
    {
        ["assistant_id"] = "agent",
        ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "What is VACUUM?" }) },
    };

    private async Task<HttpClient> LimitedClientAsync(string tenant) =>
        deployment.System.Client(deployment.LimitedApi, (await deployment.CreateKeyAsync(tenant)).Key);
}
