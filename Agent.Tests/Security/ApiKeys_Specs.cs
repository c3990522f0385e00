using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Agent.Persistence.ApiKeys;
using Agent.Tests.Infrastructure;

namespace Agent.Tests.Security;

[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed partial class When_callers_present_api_keys
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
    public async Task Should_answer_401_with_a_reason_without_a_valid_key_and_serve_health_to_anyone()
    {
        var wellFormedButUnknown = ApiKeySecret.Create(Guid.NewGuid());
        var (_, real) = await deployment.CreateKeyAsync("tenant-401");
        var tampered = real[..^1] + (real[^1] == 'A' ? 'B' : 'A');
        using var anonymous = deployment.System.Client(apiKey: "");

        using (Assert.EnterMultipleScope())
        {
            foreach (var key in new[] { "", "not-a-key", wellFormedButUnknown, tampered, new string('x', 5000) })
            {
                using var client = deployment.System.Client(apiKey: key);
                using var response = await client.GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));
                var detail = JsonNode.Parse(await response.Content.ReadAsStringAsync())?["detail"]?.GetValue<string>();
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"key '{key[..Math.Min(key.Length, 20)]}'");
                Assert.That(detail, Does.Contain(key.Length == 0 ? "An API key is required" : "invalid or has been revoked"));
                Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
            }

            using var ok = await anonymous.GetAsync(new Uri("/ok", UriKind.Relative));
            using var info = await anonymous.GetAsync(new Uri("/info", UriKind.Relative));
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK), "/ok is anonymous");
            Assert.That(info.StatusCode, Is.EqualTo(HttpStatusCode.OK), "/info is anonymous");
        }
    }

    [Test]
    public async Task Should_accept_the_key_as_a_bearer_token_too()
    {
        var (_, key) = await deployment.CreateKeyAsync("tenant-bearer", "read");
        using var client = deployment.System.Client(apiKey: "");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        using var response = await client.GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "authenticated, and the thread does not exist");
    }

    [Test]
    public async Task Should_answer_403_naming_the_scope_a_key_lacks()
    {
        using var reader = deployment.System.Client(apiKey: (await deployment.CreateKeyAsync("tenant-scopes", "read")).Key);
        using var writer = deployment.System.Client(apiKey: (await deployment.CreateKeyAsync("tenant-scopes", "read write")).Key);

        using var read = await reader.GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));
        using var write = await reader.PostAsJsonAsync("/threads", new JsonObject());
        using var admin = await writer.GetAsync(new Uri("/admin/api-keys", UriKind.Relative));
        using var written = await writer.PostAsJsonAsync("/threads", new JsonObject());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(read.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "read may read");
            Assert.That(write.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await DetailAsync(write), Does.Contain("lacks the 'write' scope"));
            Assert.That(admin.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(await DetailAsync(admin), Does.Contain("lacks the 'admin' scope"));
            Assert.That(written.StatusCode, Is.EqualTo(HttpStatusCode.OK), "write may write");
        }
    }

    [Test]
    public async Task Should_create_list_and_revoke_keys_of_the_admins_own_tenant_and_refuse_a_revoked_key_at_once()
    {
        using var admin = deployment.System.Client(apiKey: (await deployment.CreateKeyAsync("tenant-admin", "admin")).Key);
        using var otherAdmin = deployment.System.Client(apiKey: (await deployment.CreateKeyAsync("tenant-other", "admin")).Key);

        using var created = await admin.PostAsJsonAsync("/admin/api-keys", new JsonObject { ["name"] = "ci", ["scopes"] = new JsonArray("read", "write") });
        var key = await SecuredDeployment.ReadJsonAsync(created);
        var keyId = key["key_id"]!.GetValue<string>();
        using var user = deployment.System.Client(apiKey: key["key"]!.GetValue<string>());
        using var before = await user.PostAsJsonAsync("/threads", new JsonObject());
        var listed = await SecuredDeployment.ReadJsonAsync(await admin.GetAsync(new Uri("/admin/api-keys", UriKind.Relative)));
        using var foreignRevoke = await otherAdmin.DeleteAsync(new Uri($"/admin/api-keys/{keyId}", UriKind.Relative));
        using var stillValid = await user.GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));

        using var revoked = await admin.DeleteAsync(new Uri($"/admin/api-keys/{keyId}", UriKind.Relative));
        using var after = await user.GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(key["tenant_id"]!.GetValue<string>(), Is.EqualTo("tenant-admin"));
            Assert.That(key["key"]!.GetValue<string>(), Does.StartWith(ApiKeySecret.Prefix));
            Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the new key works");
            Assert.That(listed.AsArray().Select(k => k!["key_id"]!.GetValue<string>()), Does.Contain(keyId));
            Assert.That(listed.ToJsonString(), Does.Not.Contain("\"key\":"), "a listing never shows keys");
            Assert.That(listed.AsArray().Select(k => k!["tenant_id"]!.GetValue<string>()).Distinct(), Is.EqualTo(new[] { "tenant-admin" }));
            Assert.That(foreignRevoke.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "another tenant's admin cannot revoke it");
            Assert.That(stillValid.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "so it still authenticates");
            Assert.That((await SecuredDeployment.ReadJsonAsync(revoked))["revoked_at"], Is.Not.Null);
            Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "a key revoked through this replica is refused at once");
        }
    }

    [Test]
    public async Task Should_manage_keys_with_the_worker_command_and_refuse_a_key_it_revoked()
    {
        var (createExit, createOutput) = await RunKeysCommandAsync("create", "--tenant", "tenant-cli", "--name", "cli spec", "--scopes", "read");
        var key = KeyPattern().Match(createOutput).Value;
        Assert.That(createExit, Is.Zero, createOutput);
        Assert.That(ApiKeySecret.TryGetKeyId(key, out var keyId), Is.True, "the command printed the key: " + createOutput);
        using var client = deployment.System.Client(apiKey: key);
        using var before = await client.GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));
        var (listExit, listOutput) = await RunKeysCommandAsync("list", "--tenant", "tenant-cli");

        var (revokeExit, revokeOutput) = await RunKeysCommandAsync("revoke", keyId.ToString());

        // Revoked from another process: this replica's cache holds the key for at most Auth:KeyCacheSeconds (5 s).
        var status = await Poll.UntilAsync(
            async () =>
            {
                using var response = await client.GetAsync(new Uri($"/threads/{Guid.NewGuid()}", UriKind.Relative));
                return response.StatusCode;
            },
            s => s == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(250));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "the new key authenticates");
            Assert.That(listExit, Is.Zero, listOutput);
            Assert.That(listOutput, Does.Contain(keyId.ToString()).And.Contain("tenant-cli").And.Not.Contain(key));
            Assert.That(revokeExit, Is.Zero, revokeOutput);
            Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized), "the revoked key is refused");
        }
    }

    [Test]
    public async Task Should_refuse_bad_key_commands_with_usage()
    {
        var (exit, output) = await RunKeysCommandAsync("create", "--tenant", "bad tenant!", "--name", "x");
        var (scopeExit, scopeOutput) = await RunKeysCommandAsync("create", "--tenant", "t", "--name", "x", "--scopes", "root");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(output, Does.Contain("tenant must be"));
            Assert.That(scopeExit, Is.EqualTo(2));
            Assert.That(scopeOutput, Does.Contain("unknown scope 'root'"));
        }
    }

    [Test]
    public async Task Should_treat_every_caller_as_the_default_tenant_only_when_authentication_is_explicitly_off()
    {
        var open = await deployment.System.AddApiAsync(new Dictionary<string, string?> { ["Auth__Disabled"] = "true" });
        using var anonymous = deployment.System.Client(open, apiKey: "");
        using var created = await anonymous.PostAsJsonAsync("/threads", new JsonObject());
        var threadId = (await SecuredDeployment.ReadJsonAsync(created))["thread_id"]!.GetValue<string>();
        using var bootstrap = deployment.System.Client();
        using var seen = await bootstrap.GetAsync(new Uri($"/threads/{threadId}", UriKind.Relative));
        using var closed = deployment.System.Client(apiKey: "");
        using var refused = await closed.PostAsJsonAsync("/threads", new JsonObject());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(seen.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the anonymous caller wrote as tenant 'default', the bootstrap key's tenant");
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the API without Auth:Disabled still refuses");
            Assert.That(deployment.System.Logs(), Does.Contain("Authentication is DISABLED"));
        }
    }

    private static async Task<string?> DetailAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())?["detail"]?.GetValue<string>();

    [GeneratedRegex(@"agk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}")]
    private static partial Regex KeyPattern();

    private async Task<(int Exit, string Output)> RunKeysCommandAsync(params string[] arguments)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ConnectionStrings__Agent"] = deployment.System.Database.ConnectionString,
        };
        await using var command = ServiceProcess.Start("keys", "Agent.Worker", ["keys", .. arguments], environment);
        var exit = await command.WaitForExitAsync(TimeSpan.FromSeconds(60));
        return (exit, command.Output);
    }
}
