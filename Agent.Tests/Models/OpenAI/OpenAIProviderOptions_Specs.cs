using Agent.Tests.Fakes;
using Agent.Worker.Models.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Agent.Tests.Models.OpenAI;

[TestFixture]
public sealed class When_the_provider_options_are_read_from_the_environment
{
    [Test]
    public void Should_be_absent_without_an_api_key()
    {
        var configuration = Configuration(("OPENAI_BASE_URL", "http://localhost:11434/v1"), ("AGENT_MODEL", "llama3"));

        Assert.That(OpenAIProviderOptions.FromEnvironment(configuration), Is.Null);
    }

    [Test]
    public void Should_read_the_key_the_base_url_and_the_model()
    {
        var configuration = Configuration(
            ("OPENAI_API_KEY", "sk-env"), ("OPENAI_BASE_URL", "http://localhost:11434/v1"), ("AGENT_MODEL", "llama3"));

        var options = OpenAIProviderOptions.FromEnvironment(configuration);

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options?.ApiKey, Is.EqualTo("sk-env"));
            Assert.That(options?.BaseUrl, Is.EqualTo(new Uri("http://localhost:11434/v1")));
            Assert.That(options?.DefaultModel, Is.EqualTo("llama3"));
        }
    }

    [Test]
    public void Should_default_to_openai_and_gpt_4o_mini()
    {
        var options = OpenAIProviderOptions.FromEnvironment(Configuration(("OPENAI_API_KEY", "sk-env")));

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options?.BaseUrl, Is.Null);
            Assert.That(options?.DefaultModel, Is.EqualTo("gpt-4o-mini"));
            Assert.That(options?.MaxRetries, Is.EqualTo(3));
            Assert.That(options?.NetworkTimeout, Is.EqualTo(TimeSpan.FromSeconds(100)));
        }
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value)))
            .Build();
}

[TestFixture]
public sealed class When_the_chat_client_is_registered
{
    [Test]
    public void Should_resolve_the_openai_adapter_as_the_chat_client()
    {
        var services = new ServiceCollection().AddOpenAIChatClient(new OpenAIProviderOptions
        {
            ApiKey = "sk-test",
            BaseUrl = new Uri("http://127.0.0.1:9/v1"),
            DefaultModel = "m",
        });
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(client, Is.InstanceOf<OpenAIChatClient>());
            Assert.That(client.GetService<ChatClientMetadata>()?.ProviderUri, Is.EqualTo(new Uri("http://127.0.0.1:9/v1")));
            Assert.That(client.GetService<ChatClientMetadata>()?.DefaultModelId, Is.EqualTo("m"));
        }
    }

    [Test]
    public void Should_reject_options_without_an_api_key()
    {
        var services = new ServiceCollection().AddOpenAIChatClient(new OpenAIProviderOptions { ApiKey = "" });
        using var provider = services.BuildServiceProvider();

        Assert.That(() => provider.GetRequiredService<IChatClient>(), Throws.InstanceOf<OptionsValidationException>());
    }
}

[TestFixture]
public sealed class When_azure_openai_is_configured
{
    [Test]
    public void Should_select_the_azure_client_with_the_key_and_the_deployment()
    {
        var options = OpenAIProviderOptions.FromEnvironment(Configuration(
            ("AZURE_OPENAI_ENDPOINT", "https://contoso.openai.azure.com/"), ("AZURE_OPENAI_API_KEY", "azure-key"),
            ("AGENT_MODEL", "my-deployment"), ("OPENAI_API_KEY", "sk-ignored")));
        using var provider = new ServiceCollection().AddOpenAIChatClient(options!).BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options?.AzureEndpoint, Is.EqualTo(new Uri("https://contoso.openai.azure.com/")));
            Assert.That(options?.ApiKey, Is.EqualTo("azure-key"));
            Assert.That(client.GetService<global::OpenAI.Chat.ChatClient>()?.GetType().Assembly.GetName().Name, Is.EqualTo("Azure.AI.OpenAI"));
            Assert.That(client.GetService<ChatClientMetadata>()?.ProviderName, Is.EqualTo("azure.ai.openai"));
            Assert.That(client.GetService<ChatClientMetadata>()?.DefaultModelId, Is.EqualTo("my-deployment"));
        }
    }

    [Test]
    public void Should_use_microsoft_entra_id_when_no_key_is_set()
    {
        var options = OpenAIProviderOptions.FromEnvironment(Configuration(("AZURE_OPENAI_ENDPOINT", "https://contoso.openai.azure.com/")));
        using var provider = new ServiceCollection().AddOpenAIChatClient(options!).BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();

        using (Assert.EnterMultipleScope())
        {
            Assert.That(options?.ApiKey, Is.Null, "no key: DefaultAzureCredential");
            Assert.That(client.GetService<global::OpenAI.Chat.ChatClient>()?.GetType().Assembly.GetName().Name, Is.EqualTo("Azure.AI.OpenAI"));
        }
    }

    [Test]
    public void Should_refuse_both_an_azure_endpoint_and_an_openai_base_url()
    {
        var services = new ServiceCollection().AddOpenAIChatClient(new OpenAIProviderOptions
        {
            AzureEndpoint = new Uri("https://contoso.openai.azure.com/"),
            BaseUrl = new Uri("http://localhost:11434/v1"),
        });
        using var provider = services.BuildServiceProvider();

        Assert.That(() => provider.GetRequiredService<IChatClient>(), Throws.InstanceOf<OptionsValidationException>());
    }

    [Test]
    public async Task Should_reach_the_deployment_with_the_api_key_through_the_azure_client()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var server = await FakeOpenAIServer.StartAsync(cancellationToken: deadline.Token);
        server.Enqueue(FakeChatReply.Text("From Azure.", new FakeUsage(InputTokens: 9, OutputTokens: 3)));
        using var client = new OpenAIChatClient(new OpenAIProviderOptions
        {
            AzureEndpoint = new Uri(server.BaseUrl, "/"),
            ApiKey = "azure-key",
            DefaultModel = "my-deployment",
            MaxRetries = 0,
        });

        var updates = await client.GetStreamingResponseAsync([new(ChatRole.User, "hello")], null, deadline.Token).ToListAsync(deadline.Token);

        var request = server.Requests.Single();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(string.Concat(updates.Select(u => u.Text)), Is.EqualTo("From Azure."));
            Assert.That(updates[^1].Contents.OfType<UsageContent>().Single().Details.InputTokenCount, Is.EqualTo(9));
            Assert.That(request.Path, Is.EqualTo("/openai/deployments/my-deployment/chat/completions"));
            Assert.That(request.ApiKeyHeader, Is.EqualTo("azure-key"));
            Assert.That(request.Authorization, Is.Null, "Azure takes the key in api-key, not as a bearer token");
        }
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value)))
            .Build();
}
