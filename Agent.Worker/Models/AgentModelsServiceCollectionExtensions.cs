using Agent.Persistence.ModelCircuits;
using Agent.Persistence.RateLimits;
using Agent.Worker.Embeddings;
using Agent.Worker.Options;
using Agent.Worker.Models.Offline;
using Agent.Worker.Models.OpenAI;
using Agent.Worker.Models.Resilience;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Models;

/// <summary>
/// Chooses the model provider: the OpenAI-compatible provider when <c>OPENAI_API_KEY</c> is set (endpoint from
/// <c>OPENAI_BASE_URL</c>, model from <c>AGENT_MODEL</c>), else the offline extractive model, which needs no key
/// and no network. Wraps it in the model pipeline the agent calls.
/// </summary>
internal static class AgentModelsServiceCollectionExtensions
{
    /// <summary>The service key of the bare provider client, under the pipeline.</summary>
    public const string ProviderKey = "provider";

    /// <summary>
    /// Registers the <see cref="IChatClient"/> the agent calls: fallback and per-model circuit breaker shared across
    /// workers (<see cref="FallbackChatClient"/>, <see cref="SharedModelCircuits"/>, section <c>Models</c>) over the shared provider rate limits
    /// (<see cref="RateLimitedChatClient"/>, section <c>RateLimits</c>) over the provider, plus the
    /// <see cref="RateLimitedChatClient"/> itself for the pre-flight check before a run starts.
    /// </summary>
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
            services.AddOpenAIChatClient(openAI);
        }
        else
        {
            // The offline model picks its quotes with the embedding model search uses (the same singleton), if any.
            services.AddSingleton<IChatClient>(sp => new OfflineExtractiveChatClient(
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<IEmbeddingGenerator<string, Embedding<float>>>() is { } generator
                    ? new QuoteSimilarity(generator, sp.GetService<EmbeddingOptions>() ?? new EmbeddingOptions())
                    : null));
        }

        // Move the provider under a key, so IChatClient can be the pipeline around it.
        var provider = services.Last(d => d.ServiceType == typeof(IChatClient) && !d.IsKeyedService);
        services.Remove(provider);
        services.AddKeyedSingleton<IChatClient>(ProviderKey, (sp, _) => provider.ImplementationFactory is { } factory
            ? (IChatClient)factory(sp)
            : (IChatClient)ActivatorUtilities.CreateInstance(sp, provider.ImplementationType!));

        var limits = configuration.GetSection(ModelRateLimitOptions.Section).Get<List<ModelRateLimitOptions>>() ?? [];
        var fallback = configuration.GetSection(ModelFallbackOptions.Section).Get<ModelFallbackOptions>() ?? new ModelFallbackOptions();
        services.AddSingleton(sp => new RateLimitedChatClient(
            sp.GetRequiredKeyedService<IChatClient>(ProviderKey),
            limits.Where(l => !string.IsNullOrEmpty(l.Model)).ToList(),
            sp.GetRequiredService<ProviderRateLimitStore>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RateLimitedChatClient>>()));
        services.AddSingleton(sp => new SharedModelCircuits(
            sp.GetRequiredService<ModelCircuitStore>(),
            fallback,
            sp.GetRequiredService<IOptions<AgentWorkerOptions>>().Value.InstanceId,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<SharedModelCircuits>>()));
        services.AddSingleton<IChatClient>(sp => new FallbackChatClient(
            sp.GetRequiredService<RateLimitedChatClient>(),
            fallback,
            fallback.ShareCircuits ? sp.GetRequiredService<SharedModelCircuits>() : null,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<FallbackChatClient>>()));
        return services;
    }
}
