using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Agent.Persistence.ApiKeys;
using Agent.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Agent.Tests.Security;

/// <summary>
/// The deployment the security specs share (started once, on first use, to keep the suite fast): a real API and a
/// worker with default limits, plus two more API processes (replicas of each other) with tiny limits (1 request per
/// minute, a burst of 3, two unfinished runs per tenant), CORS for <see cref="AllowedOrigin"/>, and a run queue no worker reads, so runs it
/// accepts stay pending.
/// </summary>
internal sealed class SecuredDeployment
{
    /// <summary>The origin the limited API allows by CORS.</summary>
    public const string AllowedOrigin = "https://ui.example";

    /// <summary>The limited API's burst: requests one key may make at once.</summary>
    public const int LimitedBurst = 3;

    /// <summary>The limited API's cap on one tenant's unfinished runs.</summary>
    public const int LimitedConcurrentRuns = 2;

    private static readonly Lock Gate = new();
    private static Task<SecuredDeployment>? started;

    private SecuredDeployment(AgentSystem system, int limitedApi, int limitedReplica, string idleQueue)
    {
        System = system;
        LimitedApi = limitedApi;
        LimitedReplica = limitedReplica;
        IdleQueue = idleQueue;
    }

    /// <summary>Gets the system.</summary>
    public AgentSystem System { get; }

    /// <summary>Gets the index of the API process with tiny limits.</summary>
    public int LimitedApi { get; }

    /// <summary>Gets the index of a second API process with the same tiny limits: a replica of the limited API.</summary>
    public int LimitedReplica { get; }

    /// <summary>Gets the run queue of the limited API, which no worker reads.</summary>
    public string IdleQueue { get; }

    /// <summary>Starts the deployment on first use and returns it.</summary>
    /// <returns>The deployment.</returns>
    public static Task<SecuredDeployment> GetAsync()
    {
        lock (Gate)
        {
            return started ??= StartAsync();
        }
    }

    /// <summary>Stops the deployment if a spec started it, and deletes the idle queue from the shared broker.</summary>
    /// <returns>A task that completes when everything is stopped.</returns>
    public static async Task StopIfStartedAsync()
    {
        Task<SecuredDeployment>? task;
        lock (Gate)
        {
            task = started;
            started = null;
        }

        if (task is null || !task.IsCompletedSuccessfully)
        {
            return;
        }

        var deployment = await task;
        await deployment.System.DisposeAsync();
        var factory = new ConnectionFactory { Uri = new Uri(TestEnvironment.RabbitMqUri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(deployment.IdleQueue, ifUnused: false, ifEmpty: false);
        await channel.ExchangeDeleteAsync(deployment.IdleQueue, ifUnused: false);
    }

    /// <summary>Creates an API key directly in the database, as <c>Agent.Worker keys create</c> does.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="scopes">The scopes, e.g. <c>read write</c>.</param>
    /// <returns>The key id and the key.</returns>
    public async Task<(Guid KeyId, string Key)> CreateKeyAsync(string tenant, string scopes = "read write admin")
    {
        await using var context = System.Database.CreateContext();
        var (row, key) = await new ApiKeyStore(context, TimeProvider.System)
            .CreateAsync(tenant, "security spec", ApiKeyScopes.Parse(scopes).Scopes, CancellationToken.None);
        return (row.KeyId, key);
    }

    /// <summary>Asks one question on a new thread and waits for the answer (<c>POST /threads/{id}/runs/wait</c>).</summary>
    /// <param name="client">A client with a key.</param>
    /// <param name="question">The question.</param>
    /// <returns>The thread id and the run id.</returns>
    public static async Task<(Guid ThreadId, Guid RunId)> AskAsync(HttpClient client, string question)
    {
        using var created = await client.PostAsJsonAsync("/threads", new JsonObject());
        var thread = await ReadJsonAsync(created);
        var threadId = Guid.Parse(thread["thread_id"]!.GetValue<string>());
        var body = new JsonObject
        {
            ["assistant_id"] = "agent",
            ["input"] = new JsonObject { ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = question }) },
        };
        using var response = await client.PostAsJsonAsync($"/threads/{threadId}/runs/wait", body);
        await ReadJsonAsync(response);
        var location = response.Content.Headers.ContentLocation?.ToString() ?? response.Headers.GetValues("Content-Location").Single();
        return (threadId, Guid.Parse(location[(location.LastIndexOf('/') + 1)..]));
    }

    /// <summary>Reads a JSON reply, requiring 2xx.</summary>
    /// <param name="response">The response.</param>
    /// <returns>The JSON.</returns>
    public static async Task<JsonNode> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.IsSuccessStatusCode, Is.True, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }

    private static async Task<SecuredDeployment> StartAsync()
    {
        var system = await AgentSystem.StartAsync(apiCount: 1);
        try
        {
            var idleQueue = "agent-runs-idle-" + Guid.NewGuid().ToString("N")[..8];
            var limits = new Dictionary<string, string?>
            {
                ["RateLimit__RequestsPerMinute"] = "1",
                ["RateLimit__Burst"] = LimitedBurst.ToString(),
                ["Limits__MaxConcurrentRunsPerTenant"] = LimitedConcurrentRuns.ToString(),
                ["Messaging__RunQueue"] = idleQueue,
                ["Http__CorsAllowedOrigins"] = AllowedOrigin,
            };
            var limited = await system.AddApiAsync(limits);
            var replica = await system.AddApiAsync(limits);
            return new SecuredDeployment(system, limited, replica, idleQueue);
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }
}

/// <summary>Stops the shared <see cref="SecuredDeployment"/> after the security specs.</summary>
[SetUpFixture]
public sealed class SecuritySpecsSetUp
{
    /// <summary>Stops the deployment.</summary>
    /// <returns>A task that completes when it is stopped.</returns>
    [OneTimeTearDown]
    public Task StopAsync() => SecuredDeployment.StopIfStartedAsync();
}
