using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence;
using Agent.Tests.Security;
using Microsoft.EntityFrameworkCore;

namespace Agent.Tests.Store;

[TestFixture]
[Category("Integration")]
[NonParallelizable]
public sealed class When_a_client_uses_the_store
{
    private SecuredDeployment deployment = null!;
    private HttpClient a = null!;
    private HttpClient b = null!;
    private string root = "";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        deployment = await SecuredDeployment.GetAsync();
        a = deployment.System.Client(apiKey: (await deployment.CreateKeyAsync("store-a")).Key);
        b = deployment.System.Client(apiKey: (await deployment.CreateKeyAsync("store-b")).Key);
    }

    [OneTimeTearDown]
    public void DisposeClients()
    {
        a?.Dispose();
        b?.Dispose();
    }

    // Each test writes under a root label of its own, so the specs never see each other's items.
    [SetUp]
    public void NewRoot() => root = "spec-" + Guid.NewGuid().ToString("N")[..8];

    [Test]
    public async Task Should_put_get_replace_and_delete_an_item_in_LangGraphs_shapes()
    {
        Assert.That(await PutAsync(a, [root, "u1"], "prefs", new JsonObject { ["theme"] = "dark" }), Is.EqualTo(HttpStatusCode.NoContent));
        var (status, first) = await GetAsync(a, $"{root}.u1", "prefs");
        Assert.That(await PutAsync(a, [root, "u1"], "prefs", new JsonObject { ["theme"] = "light" }), Is.EqualTo(HttpStatusCode.NoContent));
        var (_, second) = await GetAsync(a, $"{root}.u1", "prefs");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(first!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "namespace", "key", "value", "created_at", "updated_at" }));
            Assert.That(first["namespace"]!.ToJsonString(), Is.EqualTo($"[\"{root}\",\"u1\"]"));
            Assert.That(first["key"]!.GetValue<string>(), Is.EqualTo("prefs"));
            Assert.That(first["value"]!.ToJsonString(), Is.EqualTo("""{"theme":"dark"}"""));
            Assert.That(second!["value"]!["theme"]!.GetValue<string>(), Is.EqualTo("light"), "a put replaces the value");
            Assert.That(second["created_at"]!.GetValue<DateTimeOffset>(), Is.EqualTo(first["created_at"]!.GetValue<DateTimeOffset>()), "a replace keeps created_at");
            Assert.That(second["updated_at"]!.GetValue<DateTimeOffset>(), Is.GreaterThan(first["updated_at"]!.GetValue<DateTimeOffset>()));
        }

        using var deleted = await SendAsync(a, HttpMethod.Delete, "/store/items", new JsonObject { ["namespace"] = new JsonArray(root, "u1"), ["key"] = "prefs" });
        var (afterDelete, _) = await GetAsync(a, $"{root}.u1", "prefs");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(afterDelete, Is.EqualTo(HttpStatusCode.NotFound));
        }
    }

    [Test]
    public async Task Should_search_by_prefix_filter_and_full_text_query_with_paging()
    {
        await PutAsync(a, [root, "docs", "pg"], "vacuum", new JsonObject { ["title"] = "Routine vacuuming", ["author"] = "ann", ["stars"] = 5 });
        await PutAsync(a, [root, "docs", "pg"], "gin", new JsonObject { ["title"] = "GIN indexes", ["author"] = "bob", ["stars"] = 5 });
        await PutAsync(a, [root, "docs"], "wal", new JsonObject { ["title"] = "Write-ahead log", ["author"] = "ann", ["tags"] = new JsonArray("ann") });
        await PutAsync(a, [root, "docsx"], "outside", new JsonObject { ["title"] = "vacuum outside the prefix", ["author"] = "ann" });
        await PutAsync(a, [root, "docs"], "hidden", new JsonObject { ["title"] = "vacuum, not indexed" }, index: false);
        await PutAsync(a, [root, "docs"], "titled", new JsonObject { ["title"] = "Autovacuum daemon", ["body"] = "vacuum" }, index: new JsonArray("title"));

        var all = await SearchAsync(a, new JsonObject { ["namespace_prefix"] = new JsonArray(root, "docs"), ["limit"] = 100 });
        var byAnn = await SearchAsync(a, new JsonObject { ["namespace_prefix"] = new JsonArray(root), ["filter"] = new JsonObject { ["author"] = "ann" } });
        var fiveStars = await SearchAsync(a, new JsonObject { ["namespace_prefix"] = new JsonArray(root), ["filter"] = new JsonObject { ["stars"] = 5, ["author"] = "bob" } });
        var tagsNotEqual = await SearchAsync(a, new JsonObject { ["namespace_prefix"] = new JsonArray(root), ["filter"] = new JsonObject { ["tags"] = "ann" } });
        var vacuum = await SearchAsync(a, new JsonObject { ["namespace_prefix"] = new JsonArray(root, "docs"), ["query"] = "vacuum" });
        var page = await SearchAsync(a, new JsonObject { ["namespace_prefix"] = new JsonArray(root, "docs"), ["limit"] = 2, ["offset"] = 1 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(Keys(all), Is.EquivalentTo(new[] { "vacuum", "gin", "wal", "hidden", "titled" }), "the prefix [root, docs] is exact label by label: docsx is outside");
            Assert.That(all[0]!.AsObject().ContainsKey("score"), Is.False, "no query, no score");
            Assert.That(Keys(byAnn), Is.EquivalentTo(new[] { "vacuum", "wal", "outside" }));
            Assert.That(Keys(fiveStars), Is.EqualTo(new[] { "gin" }));
            Assert.That(Keys(tagsNotEqual), Is.Empty, "a filter is equality: [\"ann\"] is not \"ann\"");
            Assert.That(Keys(vacuum), Is.EquivalentTo(new[] { "vacuum" }), "stemmed full-text match; index false and fields outside index are not searched");
            Assert.That(vacuum[0]!["score"]!.GetValue<double>(), Is.GreaterThan(0));
            Assert.That(Keys(page), Is.EqualTo(Keys(all).Skip(1).Take(2)), "limit and offset page the newest-first order");
        }
    }

    [Test]
    public async Task Should_list_namespaces_with_prefix_suffix_wildcards_and_depth()
    {
        await PutAsync(a, [root, "users", "u1", "memories"], "k", []);
        await PutAsync(a, [root, "users", "u2", "memories"], "k", []);
        await PutAsync(a, [root, "users", "u2", "prefs"], "k", []);
        await PutAsync(a, [root, "teams", "t1"], "k", []);

        var all = await NamespacesAsync(a, new JsonObject { ["prefix"] = new JsonArray(root) });
        var memories = await NamespacesAsync(a, new JsonObject { ["prefix"] = new JsonArray(root, "*", "*", "memories") });
        var suffix = await NamespacesAsync(a, new JsonObject { ["prefix"] = new JsonArray(root), ["suffix"] = new JsonArray("prefs") });
        var depth2 = await NamespacesAsync(a, new JsonObject { ["prefix"] = new JsonArray(root), ["max_depth"] = 2 });
        var paged = await NamespacesAsync(a, new JsonObject { ["prefix"] = new JsonArray(root), ["limit"] = 1, ["offset"] = 1 });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(all, Is.EqualTo(new[]
            {
                $"{root}/teams/t1", $"{root}/users/u1/memories", $"{root}/users/u2/memories", $"{root}/users/u2/prefs",
            }));
            Assert.That(memories, Is.EqualTo(new[] { $"{root}/users/u1/memories", $"{root}/users/u2/memories" }));
            Assert.That(suffix, Is.EqualTo(new[] { $"{root}/users/u2/prefs" }));
            Assert.That(depth2, Is.EqualTo(new[] { $"{root}/teams", $"{root}/users" }));
            Assert.That(paged, Is.EqualTo(new[] { $"{root}/users/u1/memories" }));
        }
    }

    [Test]
    public async Task Should_keep_each_tenants_items_from_the_other()
    {
        await PutAsync(a, [root, "secret"], "k", new JsonObject { ["owner"] = "a" });

        var (getStatus, _) = await GetAsync(b, $"{root}.secret", "k");
        var search = await SearchAsync(b, new JsonObject { ["namespace_prefix"] = new JsonArray(root) });
        var query = await SearchAsync(b, new JsonObject { ["query"] = "a" , ["filter"] = new JsonObject { ["owner"] = "a" } });
        var namespaces = await NamespacesAsync(b, new JsonObject { ["prefix"] = new JsonArray(root) });
        using var deleted = await SendAsync(b, HttpMethod.Delete, "/store/items", new JsonObject { ["namespace"] = new JsonArray(root, "secret"), ["key"] = "k" });
        await PutAsync(b, [root, "secret"], "k", new JsonObject { ["owner"] = "b" });
        var (aStatus, aItem) = await GetAsync(a, $"{root}.secret", "k");

        using (Assert.EnterMultipleScope())
        {
            Assert.That(getStatus, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(search, Is.Empty);
            Assert.That(query, Is.Empty);
            Assert.That(namespaces, Is.Empty);
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), "a delete of an absent item is idempotent");
            Assert.That(aStatus, Is.EqualTo(HttpStatusCode.OK), "tenant b's delete did not reach tenant a's item");
            Assert.That(aItem!["value"]!["owner"]!.GetValue<string>(), Is.EqualTo("a"), "tenant b's put of the same namespace and key is its own item");
        }
    }

    [Test]
    public async Task Should_hide_an_expired_item_and_refresh_the_ttl_on_read_and_search()
    {
        await PutAsync(a, [root], "short", new JsonObject { ["v"] = 1 }, ttl: 1);
        await PutAsync(a, [root], "plain", new JsonObject { ["v"] = 2 });
        await using var context = deployment.System.Database.CreateContext();
        var before = await ExpiryAsync(context, "short");
        await GetAsync(a, root, "short");
        var afterRead = await ExpiryAsync(context, "short");
        await GetAsync(a, root, "short", "refresh_ttl=false");
        var afterPlainRead = await ExpiryAsync(context, "short");
        await SearchAsync(a, new JsonObject { ["namespace_prefix"] = new JsonArray(root), ["refresh_ttl"] = false });
        var afterPlainSearch = await ExpiryAsync(context, "short");
        await SearchAsync(a, new JsonObject { ["namespace_prefix"] = new JsonArray(root) });
        var afterSearch = await ExpiryAsync(context, "short");

        // Expire it now (a minute is the least a client can ask in whole minutes; the sweeper spec covers the wait).
        await context.StoreItems.Where(i => i.Namespace == new[] { root } && i.Key == "short")
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1)));
        var (expired, _) = await GetAsync(a, root, "short");
        var search = await SearchAsync(a, new JsonObject { ["namespace_prefix"] = new JsonArray(root) });

        using (Assert.EnterMultipleScope())
        {
            Assert.That(before, Is.Not.Null);
            Assert.That(afterRead, Is.GreaterThan(before!.Value), "a read refreshes the ttl");
            Assert.That(afterPlainRead, Is.EqualTo(afterRead), "refresh_ttl=false leaves it");
            Assert.That(afterPlainSearch, Is.EqualTo(afterRead), "a search with refresh_ttl false leaves it");
            Assert.That(afterSearch, Is.GreaterThan(afterRead!.Value), "a search hit refreshes the ttl");
            Assert.That(await ExpiryAsync(context, "plain"), Is.Null, "no ttl, no expiry");
            Assert.That(expired, Is.EqualTo(HttpStatusCode.NotFound), "an expired item is gone before the sweeper deletes it");
            Assert.That(Keys(search), Is.EqualTo(new[] { "plain" }));
        }
    }

    [TestCase("PUT", "/store/items", """{"namespace":"users","key":"k","value":{}}""", "namespace must be a list of strings")]
    [TestCase("PUT", "/store/items", """{"namespace":["users",5],"key":"k","value":{}}""", "namespace must be a list of strings.")]
    [TestCase("PUT", "/store/items", """{"namespace":[],"key":"k","value":{}}""", "namespace is required")]
    [TestCase("PUT", "/store/items", """{"key":"k","value":{}}""", "namespace is required")]
    [TestCase("PUT", "/store/items", """{"namespace":["a.b"],"key":"k","value":{}}""", "namespace[0] is 'a.b'")]
    [TestCase("PUT", "/store/items", """{"namespace":["a",""],"key":"k","value":{}}""", "namespace[1] is ''")]
    [TestCase("PUT", "/store/items", """{"namespace":["langgraph"],"key":"k","value":{}}""", "reserved label")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"value":{}}""", "key is required")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"","value":{}}""", "key is required")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":5,"value":{}}""", "key must be a string.")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k"}""", "value is required")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k","value":"text"}""", "value must be an object.")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k","value":[1]}""", "value must be an object.")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k","value":{},"ttl":-1}""", "ttl must be a number of minutes greater than 0")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k","value":{},"ttl":0}""", "ttl must be a number of minutes greater than 0")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k","value":{},"ttl":"60"}""", "ttl must be a number.")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k","value":{},"ttl":1e300}""", "ttl must be a number of minutes")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k","value":{},"index":true}""", "index must be false, null, or a list")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k","value":{},"index":[5]}""", "index must be false, null, or a list")]
    [TestCase("PUT", "/store/items", """{"namespace":["a"],"key":"k","value":{},"colour":"red"}""", "colour is not a field of PUT /store/items")]
    [TestCase("PUT", "/store/items", """[1]""", "must be a JSON object")]
    [TestCase("GET", "/store/items?key=k", null, "namespace is required")]
    [TestCase("GET", "/store/items?namespace=a..b&key=k", null, "namespace[1] is ''")]
    [TestCase("GET", "/store/items?namespace=a", null, "key is required")]
    [TestCase("GET", "/store/items?namespace=a&key=k&refresh_ttl=maybe", null, "refresh_ttl must be true or false")]
    [TestCase("DELETE", "/store/items", """{"namespace":["a"]}""", "key is required")]
    [TestCase("DELETE", "/store/items", """{"key":"k"}""", "namespace is required")]
    [TestCase("DELETE", "/store/items", """{"namespace":["a"],"key":"k","value":{}}""", "value is not a field of DELETE /store/items")]
    [TestCase("POST", "/store/items/search", """{"namespace_prefix":"a"}""", "namespace_prefix must be a list of strings")]
    [TestCase("POST", "/store/items/search", """{"namespace_prefix":["a.b"]}""", "namespace_prefix[0] is 'a.b'")]
    [TestCase("POST", "/store/items/search", """{"filter":[1]}""", "filter must be an object")]
    [TestCase("POST", "/store/items/search", """{"limit":0}""", "limit must be an integer from 1 to 1000")]
    [TestCase("POST", "/store/items/search", """{"limit":1001}""", "limit must be an integer from 1 to 1000")]
    [TestCase("POST", "/store/items/search", """{"limit":2.5}""", "limit must be an integer.")]
    [TestCase("POST", "/store/items/search", """{"offset":-1}""", "offset must be 0 or more")]
    [TestCase("POST", "/store/items/search", """{"query":5}""", "query must be a string")]
    [TestCase("POST", "/store/items/search", """{"refresh_ttl":"yes"}""", "refresh_ttl must be a boolean")]
    [TestCase("POST", "/store/items/search", """{"namespace":["a"]}""", "namespace is not a field of POST /store/items/search")]
    [TestCase("POST", "/store/namespaces", """{"prefix":"a"}""", "prefix must be a list of strings")]
    [TestCase("POST", "/store/namespaces", """{"suffix":["x.y"]}""", "suffix[0] is 'x.y'")]
    [TestCase("POST", "/store/namespaces", """{"max_depth":0}""", "max_depth must be an integer from 1 to 32")]
    [TestCase("POST", "/store/namespaces", """{"max_depth":"2"}""", "max_depth must be an integer.")]
    [TestCase("POST", "/store/namespaces", """{"limit":0}""", "limit must be an integer from 1 to 1000")]
    [TestCase("POST", "/store/namespaces", """{"offset":-5}""", "offset must be 0 or more")]
    [TestCase("POST", "/store/namespaces", """{"depth":2}""", "depth is not a field of POST /store/namespaces; its fields are prefix, suffix, max_depth, limit and offset.")]
    public async Task Should_answer_bad_input_with_422_and_the_reason(string method, string path, string? body, string reason)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await a.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity), text);
            Assert.That(JsonNode.Parse(text)?["detail"]?.GetValue<string>(), Does.Contain(reason));
        }
    }

    private static async Task<DateTimeOffset?> ExpiryAsync(AgentDbContext context, string key) =>
        await context.StoreItems.AsNoTracking().Where(i => i.TenantId == "store-a" && i.Key == key).Select(i => i.ExpiresAt).SingleAsync();

    private static async Task<HttpStatusCode> PutAsync(
        HttpClient client, string[] itemNamespace, string key, JsonObject value, double? ttl = null, JsonNode? index = null)
    {
        var body = new JsonObject { ["namespace"] = new JsonArray(itemNamespace.Select(l => (JsonNode?)l).ToArray()), ["key"] = key, ["value"] = value };
        if (ttl is not null)
        {
            body["ttl"] = ttl;
        }

        if (index is not null)
        {
            body["index"] = index;
        }

        using var response = await SendAsync(client, HttpMethod.Put, "/store/items", body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await response.Content.ReadAsStringAsync());
        return response.StatusCode;
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(HttpClient client, string dotted, string key, string? extra = null)
    {
        var query = $"/store/items?namespace={Uri.EscapeDataString(dotted)}&key={Uri.EscapeDataString(key)}" + (extra is null ? "" : "&" + extra);
        using var response = await client.GetAsync(new Uri(query, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? JsonNode.Parse(text) : null);
    }

    private static async Task<JsonArray> SearchAsync(HttpClient client, JsonObject body)
    {
        using var response = await SendAsync(client, HttpMethod.Post, "/store/items/search", body);
        var json = await SecuredDeployment.ReadJsonAsync(response);
        Assert.That(json.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "items" }));
        return json["items"]!.AsArray();
    }

    private static async Task<List<string>> NamespacesAsync(HttpClient client, JsonObject body)
    {
        using var response = await SendAsync(client, HttpMethod.Post, "/store/namespaces", body);
        var json = await SecuredDeployment.ReadJsonAsync(response);
        return json["namespaces"]!.AsArray().Select(n => string.Join("/", n!.AsArray().Select(l => l!.GetValue<string>()))).ToList();
    }

    private static List<string> Keys(JsonArray items) => items.Select(i => i!["key"]!.GetValue<string>()).ToList();

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, JsonObject body) =>
        client.SendAsync(new HttpRequestMessage(method, new Uri(path, UriKind.Relative))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        });
}
