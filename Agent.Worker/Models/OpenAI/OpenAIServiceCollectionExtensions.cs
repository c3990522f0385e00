using Agent.Worker.Models.OpenAI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the OpenAI-compatible chat model provider.</summary>
public static class OpenAIServiceCollectionExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="IChatClient"/> over the OpenAI SDK (or Azure.AI.OpenAI's
    /// <c>AzureOpenAIClient</c> when <see cref="OpenAIProviderOptions.AzureEndpoint"/> is set), configured from
    /// <paramref name="options"/> (copied) and validated when the host starts.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">The provider options, e.g. from <see cref="OpenAIProviderOptions.FromEnvironment"/>.</param>
    /// <returns>The same service collection.</returns>
    public static IServiceCollection AddOpenAIChatClient(this IServiceCollection services, OpenAIProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);

        services.AddOptions<OpenAIProviderOptions>()
            .Configure(target =>
            {
                target.ApiKey = options.ApiKey;
                target.BaseUrl = options.BaseUrl;
                target.AzureEndpoint = options.AzureEndpoint;
                target.DefaultModel = options.DefaultModel;
                target.NetworkTimeout = options.NetworkTimeout;
                target.MaxRetries = options.MaxRetries;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IChatClient>(provider =>
            new OpenAIChatClient(provider.GetRequiredService<IOptions<OpenAIProviderOptions>>().Value));
        return services;
    }
}
