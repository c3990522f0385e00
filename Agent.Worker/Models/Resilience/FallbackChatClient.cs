using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Agent.Worker.Models.Resilience;

/// <summary>
/// Gives every model a circuit breaker (Polly) and, when the requested model fails transiently or its circuit is
/// open, calls the configured fallback model instead.
/// </summary>
/// <remarks>
/// Only the start of a call is guarded (the request and its first streamed update): once a model has begun to answer,
/// switching models would mix two answers, so later failures propagate to the step's retries. Circuits are per worker
/// process (a failing provider is seen by every worker soon enough; sharing them would add a database round trip to
/// every call).
/// </remarks>
internal sealed partial class FallbackChatClient(
    IChatClient inner, ModelFallbackOptions options, TimeProvider timeProvider, ILogger<FallbackChatClient> logger) : DelegatingChatClient(inner)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline> circuits = new(StringComparer.Ordinal);
    private readonly string defaultModel = inner.GetService<ChatClientMetadata>()?.DefaultModelId ?? "default";

    /// <summary>
    /// Tells whether a model call failure may succeed elsewhere: a transient failure (<see cref="TransientFailures"/>:
    /// 408, 429, 5xx, timeouts, dropped connections) or an open circuit.
    /// </summary>
    /// <param name="exception">The failure.</param>
    /// <returns><see langword="true"/> when the fallback model should be tried.</returns>
    public static bool IsTransient(Exception exception) =>
        exception is BrokenCircuitException || TransientFailures.IsTransient(exception);

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var (updates, hasFirst) = await StartAsync(list, options, cancellationToken);
        await using (updates)
        {
            if (!hasFirst)
            {
                yield break;
            }

            do
            {
                yield return updates.Current;
            }
            while (await updates.MoveNextAsync());
        }
    }

    private async Task<(IAsyncEnumerator<ChatResponseUpdate> Updates, bool HasFirst)> StartAsync(
        IList<ChatMessage> messages, ChatOptions? chatOptions, CancellationToken cancellationToken)
    {
        var model = chatOptions?.ModelId ?? defaultModel;
        try
        {
            return await StartOnAsync(model, messages, chatOptions, cancellationToken);
        }
        catch (Exception ex) when (IsTransient(ex) && options.FallbackModel is { } fallback && fallback != model)
        {
            LogFallback(logger, model, fallback, ex.Message);
            var fallbackOptions = chatOptions?.Clone() ?? new ChatOptions();
            fallbackOptions.ModelId = fallback;
            return await StartOnAsync(fallback, messages, fallbackOptions, cancellationToken);
        }
    }

    private async Task<(IAsyncEnumerator<ChatResponseUpdate> Updates, bool HasFirst)> StartOnAsync(
        string model, IList<ChatMessage> messages, ChatOptions? chatOptions, CancellationToken cancellationToken)
    {
        return await CircuitFor(model).ExecuteAsync(
            async token =>
            {
                var updates = base.GetStreamingResponseAsync(messages, chatOptions, token).GetAsyncEnumerator(token);
                try
                {
                    return (updates, await updates.MoveNextAsync());
                }
                catch
                {
                    await updates.DisposeAsync();
                    throw;
                }
            },
            cancellationToken);
    }

    private ResiliencePipeline CircuitFor(string model) => circuits.GetOrAdd(model, m => new ResiliencePipelineBuilder { TimeProvider = timeProvider }
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.CircuitFailureRatio,
            MinimumThroughput = Math.Max(2, options.CircuitMinimumThroughput),
            SamplingDuration = TimeSpan.FromSeconds(Math.Max(1, options.CircuitSamplingSeconds)),
            BreakDuration = TimeSpan.FromSeconds(Math.Max(1, options.CircuitBreakSeconds)),
            ShouldHandle = new PredicateBuilder().Handle<Exception>(TransientFailures.IsTransient),
            OnOpened = args =>
            {
                LogCircuitOpened(logger, m, args.BreakDuration.TotalSeconds);
                return ValueTask.CompletedTask;
            },
        })
        .Build());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} failed ({Reason}); falling back to {Fallback}")]
    private static partial void LogFallback(ILogger logger, string model, string fallback, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit of model {Model} opened for {Seconds} s")]
    private static partial void LogCircuitOpened(ILogger logger, string model, double seconds);
}
