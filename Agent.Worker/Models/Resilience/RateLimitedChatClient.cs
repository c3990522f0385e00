using System.Runtime.CompilerServices;
using Agent.Persistence.RateLimits;
using Agent.Worker.Models.Tokens;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Models.Resilience;

/// <summary>
/// Holds each model call until the provider's shared rate limit (requests and tokens per minute, across all worker
/// processes) admits it, then charges the tokens the call really used.
/// </summary>
/// <remarks>
/// The call's tokens are counted before it from the prompt (<see cref="TokenCounter"/>, the model's encoding) and
/// corrected after it from the reported usage. A run waiting here keeps its lease (the heartbeat renews it) and its step.
/// </remarks>
/// <param name="inner">The provider's client.</param>
/// <param name="limits">The configured limits.</param>
/// <param name="store">The shared limit state.</param>
/// <param name="timeProvider">The clock used to wait.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class RateLimitedChatClient(
    IChatClient inner,
    IReadOnlyList<ModelRateLimitOptions> limits,
    ProviderRateLimitStore store,
    TimeProvider timeProvider,
    ILogger<RateLimitedChatClient> logger) : DelegatingChatClient(inner)
{
    private readonly string provider = inner.GetService<ChatClientMetadata>()?.ProviderName ?? "unknown";
    private readonly string? defaultModel = inner.GetService<ChatClientMetadata>()?.DefaultModelId;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var (rule, estimate) = await AcquireAsync(list, options, cancellationToken);
        var response = await base.GetResponseAsync(list, options, cancellationToken);
        await ChargeAsync(rule, estimate, response.Usage, cancellationToken);
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var (rule, estimate) = await AcquireAsync(list, options, cancellationToken);
        UsageDetails? usage = null;
        await foreach (var update in base.GetStreamingResponseAsync(list, options, cancellationToken))
        {
            usage = update.Contents.OfType<UsageContent>().LastOrDefault()?.Details ?? usage;
            yield return update;
        }

        await ChargeAsync(rule, estimate, usage, cancellationToken);
    }

    /// <summary>Waits until every limit of <paramref name="model"/> would admit a request now, without taking capacity.</summary>
    /// <param name="model">The model, or null for the provider's default.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when a request would pass.</returns>
    public async Task WaitUntilAvailableAsync(string? model, CancellationToken cancellationToken)
    {
        if (RuleFor(model) is not { } rule)
        {
            return;
        }

        while (await store.TimeUntilAvailableAsync(rule, cancellationToken) is var wait && wait > TimeSpan.Zero)
        {
            LogWaiting(logger, rule.Key, wait.TotalMilliseconds);
            await Task.Delay(wait, timeProvider, cancellationToken);
        }
    }

    private async Task<(RateLimitRule? Rule, long Estimate)> AcquireAsync(IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        if (RuleFor(options?.ModelId) is not { } rule)
        {
            return (null, 0);
        }

        var estimate = TokenCounter.CountPrompt(messages, options, options?.ModelId ?? defaultModel);
        while (await store.TryAcquireAsync(rule, estimate, cancellationToken) is var wait && wait > TimeSpan.Zero)
        {
            LogWaiting(logger, rule.Key, wait.TotalMilliseconds);
            await Task.Delay(wait, timeProvider, cancellationToken);
        }

        return (rule, estimate);
    }

    private async Task ChargeAsync(RateLimitRule? rule, long estimate, UsageDetails? usage, CancellationToken cancellationToken)
    {
        if (rule is not null && usage?.TotalTokenCount is { } actual)
        {
            await store.ChargeTokensAsync(rule, actual - estimate, cancellationToken);
        }
    }

    private RateLimitRule? RuleFor(string? model)
    {
        var id = model ?? defaultModel;
        var limit = limits.FirstOrDefault(l => l.Model == id && (l.Provider is null || l.Provider == provider));
        return limit?.ToRule(provider);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rate limit {Key}: waiting {WaitMs:0} ms")]
    private static partial void LogWaiting(ILogger logger, string key, double waitMs);
}
