using Agent.Worker.Models.Offline;
using Agent.Worker.Models.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Agent.Worker.Models;

/// <summary>
/// Chooses the model provider: the OpenAI-compatible provider when <c>OPENAI_API_KEY</c> is set (endpoint from
/// <c>OPENAI_BASE_URL</c>, model from <c>AGENT_MODEL</c>), else the offline extractive model, which needs no key
/// and no network.
/// </summary>
internal static class AgentModelsServiceCollectionExtensions
{
    /// <summary>Registers the <see cref="IChatClient"/> the agent calls.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration (environment variables included).</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddAgentModels(this IServiceCollection services, IConfiguration configuration)
    {
        if (OpenAIProviderOptions.FromEnvironment(configuration) is { } openAI)
        {
            // The run executor retries model calls itself (backoff with jitter, Retry-After, parking the run on a
            // long outage: Runs/StepRetries); SDK retries underneath would multiply its attempts unseen.
            openAI.MaxRetries = 0;
            return services.AddOpenAIChatClient(openAI);
        }

        services.AddSingleton<IChatClient, OfflineExtractiveChatClient>();
        return services;
    }
}
