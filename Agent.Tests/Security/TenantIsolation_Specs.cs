using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Assistants;
using Microsoft.EntityFrameworkCore;

namespace Agent.Tests.Security;

[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_a_tenant_uses_another_tenants_ids
{
    // Route parameters this spec knows how to fill with a tenant-a id. A new kind of id (e.g. {cron_id}) fails the
    // spec until tenant a owns one here: that is the point, no endpoint escapes the check.
    private static readonly string[] KnownParameters = ["{thread_id}", "{run_id}", "{assistant_id}", "{key_id}", "{cron_id}", "{checkpoint_id}", "{namespace}"];

    // Bodies for endpoints whose validation would answer 422 before the lookup with the default body.
    private static readonly Dictionary<string, string> BodyOverrides = new(StringComparer.Ordinal)
    {
        ["POST /threads/{thread_id}/runs/crons"] = """{"assistant_id":"agent","schedule":"0 0 1 1 *"}""",
    };

    private SecuredDeployment deployment = null!;
    private HttpClient a = null!;
    private HttpClient b = null!;
    private Guid threadA;
    private Guid runA;
    private Guid assistantA;
    private Guid spareKeyA;
    private Guid cronA;
    private Guid checkpointA;
    private string spareKeyTextA = "";

    [OneTimeSetUp]
    public async Task CreateTenantADataAsync()
    {
        deployment = await SecuredDeployment.GetAsync();
        a = deployment.System.Client(apiKey: (await deployment.CreateKeyAsync("tenant-a")).Key);
        b = deployment.System.Client(apiKey: (await deployment.CreateKeyAsync("tenant-b")).Key);
        (spareKeyA, spareKeyTextA) = await deployment.CreateKeyAsync("tenant-a", "read");
        (threadA, runA) = await SecuredDeployment.AskAsync(a, "What does VACUUM do?");
        using (var cron = new StringContent(
                   """{"assistant_id":"agent","schedule":"0 0 1 1 *","input":{"messages":[{"role":"user","content":"yearly"}]}}""",
                   System.Text.Encoding.UTF8,
                   "application/json"))
        using (var created = await a.PostAsync(new Uri("/runs/crons", UriKind.Relative), cron))
        {
            var text = await created.Content.ReadAsStringAsync();
            Assert.That(created.IsSuccessStatusCode, Is.True, text);
            cronA = Guid.Parse(System.Text.Json.Nodes.JsonNode.Parse(text)!["cron_id"]!.GetValue<string>());
        }

        assistantA = Guid.CreateVersion7();
        await using var context = deployment.System.Database.CreateContext("tenant-a");
        checkpointA = await context.Checkpoints.Where(c => c.ThreadId == threadA).Select(c => c.CheckpointId).FirstAsync();
        var now = DateTimeOffset.UtcNow;
        context.Assistants.Add(new Assistant
        {
            AssistantId = assistantA, GraphId = SystemAssistants.AgentGraphId, Name = "tenant-a's", Config = "{}", Metadata = "{}",
            Version = 1, CreatedAt = now, UpdatedAt = now,
        });
        await context.SaveChangesAsync();
    }

    [OneTimeTearDown]
    public void DisposeClients()
    {
        a?.Dispose();
        b?.Dispose();
    }

    [TearDown]
    public void ShowLogsOnFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Out.WriteLine(deployment.System.Logs());
        }
    }

    [Test]
    public async Task Should_answer_404_on_every_endpoint_with_an_id_and_leak_nothing_on_the_others()
    {
        var routes = await ApiRouteTable.LoadAsync(deployment.System.Database.ConnectionString);
        Assert.That(routes, Has.Some.EqualTo(("GET", "/threads/{thread_id}/runs/{run_id}/stream")), "the route table was read");
        var foreignIds = new[] { threadA, runA, assistantA, spareKeyA }.Select(id => id.ToString()).ToList();
        var checkedWithIds = 0;
        using (Assert.EnterMultipleScope())
        {
            foreach (var (method, pattern) in routes)
            {
                var parameters = System.Text.RegularExpressions.Regex.Matches(pattern, @"\{[^}]+\}").Select(m => m.Value).ToList();
                var unknown = parameters.Except(KnownParameters).ToList();
                Assert.That(unknown, Is.Empty, $"{method} {pattern}: give tenant a an id for {string.Join(", ", unknown)} in this spec");
                if (unknown.Count > 0)
                {
                    continue;
                }

                var path = pattern.Replace("{thread_id}", threadA.ToString()).Replace("{run_id}", runA.ToString())
                    .Replace("{assistant_id}", assistantA.ToString()).Replace("{key_id}", spareKeyA.ToString())
                    .Replace("{cron_id}", cronA.ToString()).Replace("{checkpoint_id}", checkpointA.ToString())
                    .Replace("{namespace}", "research");
                using var response = await SendAsync(b, method, path, BodyOverrides.GetValueOrDefault($"{method} {pattern}"));
                var text = await response.Content.ReadAsStringAsync();
                if (parameters.Count > 0)
                {
                    checkedWithIds++;
                    Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), $"tenant b: {method} {pattern} answered: {text}");
                }
                else
                {
                    Assert.That((int)response.StatusCode, Is.LessThan(500), $"tenant b: {method} {pattern} answered: {text}");
                    Assert.That(foreignIds.Where(text.Contains), Is.Empty, $"tenant b: {method} {pattern} leaked tenant a's ids: {text}");
                }
            }
        }

        Assert.That(checkedWithIds, Is.GreaterThanOrEqualTo(8), "the endpoints with ids were all tried");
        await AssertTenantAIsIntactAsync();
    }

    [Test]
    public async Task Should_let_each_tenant_choose_the_same_thread_id()
    {
        using var created = await b.PostAsJsonAsync("/threads", new JsonObject { ["thread_id"] = threadA.ToString(), ["metadata"] = new JsonObject { ["owner"] = "b" } });
        var thread = await SecuredDeployment.ReadJsonAsync(created);
        using var runs = await b.GetAsync(new Uri($"/threads/{threadA}/runs", UriKind.Relative));
        var bRuns = await SecuredDeployment.ReadJsonAsync(runs);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(thread["thread_id"]!.GetValue<string>(), Is.EqualTo(threadA.ToString()));
            Assert.That(bRuns.AsArray(), Is.Empty, "tenant b's thread of the same id has none of tenant a's runs");
        }

        await AssertTenantAIsIntactAsync();
    }

    private async Task AssertTenantAIsIntactAsync()
    {
        using var thread = await a.GetAsync(new Uri($"/threads/{threadA}", UriKind.Relative));
        var threadJson = await SecuredDeployment.ReadJsonAsync(thread);
        using var run = await a.GetAsync(new Uri($"/threads/{threadA}/runs/{runA}", UriKind.Relative));
        var runJson = await SecuredDeployment.ReadJsonAsync(run);
        using var spare = deployment.System.Client(apiKey: spareKeyTextA);
        using var spareCall = await spare.GetAsync(new Uri($"/threads/{threadA}/state", UriKind.Relative));
        await using var context = deployment.System.Database.CreateContext();
        var assistant = await context.Assistants.AsNoTracking().SingleAsync(x => x.AssistantId == assistantA);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(threadJson["metadata"]!["owner"], Is.Null, "tenant a's thread metadata is untouched");
            Assert.That(threadJson["values"]!["messages"]!.AsArray(), Has.Count.EqualTo(4), "tenant a's thread keeps its messages");
            Assert.That(runJson["status"]!.GetValue<string>(), Is.EqualTo("success"), "tenant a's run was not cancelled or deleted");
            Assert.That(spareCall.StatusCode, Is.EqualTo(HttpStatusCode.OK), "tenant a's key was not revoked by tenant b");
            Assert.That(assistant.Name, Is.EqualTo("tenant-a's"), "tenant a's assistant is untouched");
        }
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path, string? body)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (method is not ("GET" or "HEAD" or "DELETE"))
        {
            body ??= """{"assistant_id":"agent","input":{"messages":[{"role":"user","content":"What is a GIN index?"}]},"metadata":{}}""";
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return client.SendAsync(request);
    }
}
