using Agent.Persistence.ModelCircuits;
using Agent.Tests.Fakes;
using Agent.Tests.Infrastructure;
using Agent.Worker.Models.OpenAI;
using Agent.Worker.Models.Resilience;
using Microsoft.Extensions.AI;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;

namespace Agent.Tests.Models.Resilience;

[TestFixture]
[Category("Integration")]
public sealed class When_the_primary_model_answers_with_a_storm_of_429s
{
    [Test]
    public async Task Should_answer_from_the_fallback_model_and_stop_calling_the_primary_once_its_circuit_opens()
    {
        await using var server = await FakeOpenAIServer.StartAsync(request => request.Model == "primary-model"
            ? FakeChatReply.Error(429, TimeSpan.FromSeconds(30))
            : FakeChatReply.Text($"answered by {request.Model}"));
        using var provider = new OpenAIChatClient(new OpenAIProviderOptions
        {
            ApiKey = "sk-test-fake", BaseUrl = server.BaseUrl, DefaultModel = "primary-model", MaxRetries = 0,
        });
        using var client = new FallbackChatClient(
            provider,
            new ModelFallbackOptions { FallbackModel = "backup-model", CircuitMinimumThroughput = 3, CircuitBreakSeconds = 60 },
            shared: null,
            TimeProvider.System,
            NullLogger<FallbackChatClient>.Instance);

        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add((await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")])).Text);
        }

        var toPrimary = server.Requests.Count(r => r.Model == "primary-model");
        using (Assert.EnterMultipleScope())
        {
            Assert.That(answers, Is.All.EqualTo("answered by backup-model"));
            Assert.That(toPrimary, Is.EqualTo(3), "after 3 failures of 3 the circuit opens and the primary is no longer called");
        }
    }

    [Test]
    public async Task Should_surface_the_failure_when_no_fallback_is_configured()
    {
        await using var server = await FakeOpenAIServer.StartAsync(_ => FakeChatReply.Error(500));
        using var provider = new OpenAIChatClient(new OpenAIProviderOptions
        {
            ApiKey = "sk-test-fake", BaseUrl = server.BaseUrl, DefaultModel = "primary-model", MaxRetries = 0,
        });
        using var client = new FallbackChatClient(provider, new ModelFallbackOptions(), shared: null, TimeProvider.System, NullLogger<FallbackChatClient>.Instance);

        var failure = Assert.CatchAsync(async () => await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]));

        Assert.That(FallbackChatClient.IsTransient(failure!), Is.True, failure!.ToString());
    }
}

[TestFixture]
[Category("Integration")]
public sealed class When_one_worker_opens_the_circuit_of_a_failing_model
{
    private TestDatabase database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => database = await TestDatabase.CreateAsync();

    [OneTimeTearDown]
    public async Task DropDatabaseAsync() => await database.DisposeAsync();

    [Test]
    public async Task Should_keep_every_other_worker_from_calling_it_until_the_break_ends()
    {
        await using var server = await FakeOpenAIServer.StartAsync(request => request.Model == "primary-model"
            ? FakeChatReply.Error(503)
            : FakeChatReply.Text($"answered by {request.Model}"));
        var options = new ModelFallbackOptions
        {
            FallbackModel = "backup-model", CircuitMinimumThroughput = 3, CircuitBreakSeconds = 60, CircuitShareRefreshMs = 0,
        };
        // Two clients stand for two worker processes: they share nothing but the database.
        using var first = WorkerClient("worker-a", server, options);
        using var second = WorkerClient("worker-b", server, options);

        for (var i = 0; i < 3; i++)
        {
            await first.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]);
        }

        var callsBefore = server.Requests.Count(r => r.Model == "primary-model");
        var answer = await second.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]);
        var callsAfter = server.Requests.Count(r => r.Model == "primary-model");
        await using var context = database.CreateContext();
        var row = await context.ModelCircuits.SingleAsync();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(callsBefore, Is.EqualTo(3), "worker A tried the primary model three times before its circuit opened");
            Assert.That(callsAfter, Is.EqualTo(callsBefore), "worker B never called the primary model: worker A's open circuit reached it");
            Assert.That(answer.Text, Is.EqualTo("answered by backup-model"));
            Assert.That(row.Key, Is.EqualTo("openai:primary-model"));
            Assert.That(row.OpenedBy, Is.EqualTo("worker-a"));
            Assert.That(row.OpenUntil - row.OpenedAt, Is.EqualTo(TimeSpan.FromSeconds(60)));
        }

        FallbackChatClient WorkerClient(string instance, FakeOpenAIServer fake, ModelFallbackOptions fallback) => new(
            new OpenAIChatClient(new OpenAIProviderOptions
            {
                ApiKey = "sk-test-fake", BaseUrl = fake.BaseUrl, DefaultModel = "primary-model", MaxRetries = 0,
            }),
            fallback,
            new SharedModelCircuits(
                new ModelCircuitStore(database.ContextFactory), fallback, instance, TimeProvider.System, NullLogger<SharedModelCircuits>.Instance),
            TimeProvider.System,
            NullLogger<FallbackChatClient>.Instance);
    }

    [Test]
    public async Task Should_let_calls_through_again_once_a_probe_closes_it()
    {
        var store = new ModelCircuitStore(database.ContextFactory);
        await store.OpenAsync("openai:closing-model", TimeSpan.FromMilliseconds(1), "worker-a", "503", CancellationToken.None);
        await store.OpenAsync("openai:still-open-model", TimeSpan.FromMinutes(5), "worker-a", "503", CancellationToken.None);

        await store.CloseAsync("openai:closing-model", CancellationToken.None);
        await store.CloseAsync("openai:still-open-model", CancellationToken.None);
        var open = await store.ReadOpenAsync(CancellationToken.None);

        // The fixture's database is shared with the other test, which leaves its own circuit open.
        var keys = open.Select(c => c.Key).Where(k => k is "openai:closing-model" or "openai:still-open-model");
        Assert.That(keys, Is.EqualTo(new[] { "openai:still-open-model" }),
            "a probe closes its own elapsed circuit but not one another worker holds open for minutes");
    }
}
