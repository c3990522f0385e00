using Agent.Tests.Collections;
using Agent.Worker.Models;
using Agent.Worker.Models.Offline;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Tests.Models.Offline;

[TestFixture]
public sealed class When_the_offline_model_is_registered_beside_an_embedding_model
{
    [Test]
    public async Task Should_score_its_candidate_quotes_with_that_embedding_model()
    {
        using var generator = new WordHashEmbeddingGenerator();
        var services = new ServiceCollection()
            .AddSingleton(TimeProvider.System)
            .AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(generator);
        services.AddAgentModels(new ConfigurationBuilder().Build());
        await using var provider = services.BuildServiceProvider();
        var model = provider.GetRequiredKeyedService<IChatClient>(AgentModelsServiceCollectionExtensions.ProviderKey);

        var response = await model.GetResponseAsync(ManualPassages.Searched(ManualPassages.All), ManualPassages.OptionsWithSearch());

        using (Assert.EnterMultipleScope())
        {
            Assert.That(model, Is.InstanceOf<OfflineExtractiveChatClient>());
            Assert.That(response.Text, Does.StartWith(ExtractiveAnswerComposer.Preamble));
            Assert.That(generator.Embedded, Is.EqualTo(QuoteSelector.CandidateTexts(ManualPassages.All).Count + 1));
        }
    }
}
