using Agent.Tests.Fakes;
using Agent.Worker.Models.OpenAI;
using Agent.Worker.Models.Resilience;
using Microsoft.Extensions.AI;
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
        using var client = new FallbackChatClient(provider, new ModelFallbackOptions(), TimeProvider.System, NullLogger<FallbackChatClient>.Instance);

        var failure = Assert.CatchAsync(async () => await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")]));

        Assert.That(FallbackChatClient.IsTransient(failure!), Is.True, failure!.ToString());
    }
}
