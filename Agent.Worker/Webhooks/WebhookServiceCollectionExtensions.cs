using System.Globalization;
using Agent.Worker.Webhooks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers webhook delivery.</summary>
public static partial class WebhookServiceCollectionExtensions
{
    /// <summary>The name of the webhook HTTP client and of its resilience pipeline.</summary>
    public const string ClientName = "webhooks";

    /// <summary>
    /// Adds the options (sections <c>Webhooks</c> and <see cref="WebhookOutboxOptions.SectionName"/>), the outbox dispatcher (a hosted service) and <see cref="WebhookSender"/>'s
    /// HTTP client: a retry (Microsoft.Extensions.Http.Resilience: exponential backoff with jitter from
    /// <see cref="WebhookOptions.RetryBaseDelayMs"/>, <see cref="WebhookOptions.MaxAttempts"/> attempts in all, on network
    /// errors, attempt timeouts, 408, 429 and 5xx, honouring <c>Retry-After</c> up to 30 s; never on a refused address),
    /// then a per-attempt timeout (<see cref="WebhookOptions.TimeoutSeconds"/>), then the signature, over the checked
    /// connection of <see cref="WebhookSender.CreateConnectionHandler"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration holding the <c>Webhooks</c> section.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddWebhookDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WebhookOutboxOptions>().Bind(configuration.GetSection(WebhookOutboxOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddWebhookSender();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        return services;
    }

    /// <summary>Adds only <see cref="WebhookSender"/> and its HTTP client, over options registered elsewhere.</summary>
    /// <param name="services">The services.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddWebhookSender(this IServiceCollection services)
    {
        services.TryAddTimeProvider();
        services.AddTransient<WebhookSigningHandler>();
        services.AddHttpClient<WebhookSender>(ClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
                WebhookSender.CreateConnectionHandler(sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowPrivateNetworks))
            .AddResilienceHandler(ClientName, (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<WebhookOptions>>().Value;
                var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger<WebhookSender>();
                if (options.MaxAttempts > 1)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.MaxAttempts - 1,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = true,
                        Delay = TimeSpan.FromMilliseconds(options.RetryBaseDelayMs),
                        MaxDelay = TimeSpan.FromSeconds(30),
                        // The library's transient set (network errors, timeouts, 408, 429, 5xx), minus a refused
                        // address: asking again cannot make a private address public.
                        ShouldHandle = args => ValueTask.FromResult(
                            HttpClientResiliencePredicates.IsTransient(args.Outcome)
                            && args.Outcome.Exception?.InnerException is not WebhookRefusedException),
                        OnRetry = args =>
                        {
                            LogRetry(logger, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds,
                                args.Outcome.Result is { } response
                                    ? ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture)
                                    : args.Outcome.Exception?.Message);
                            return default;
                        },
                    });
                }

                pipeline.AddTimeout(TimeSpan.FromSeconds(options.TimeoutSeconds));
            })
            .Services.AddHttpClient(ClientName).AddHttpMessageHandler<WebhookSigningHandler>();
        return services;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook attempt {Attempt} failed ({Reason}); retrying in {DelayMs} ms")]
    private static partial void LogRetry(ILogger logger, int attempt, double delayMs, string? reason);
}
