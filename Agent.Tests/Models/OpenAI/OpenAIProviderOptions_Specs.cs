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
