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
/// switching models would mix two answers, so later failures propagate to the step's retries. Each worker counts
/// failures in its own circuit; when one opens, every worker learns it through <see cref="SharedModelCircuits"/>
/// (table <c>agent.model_circuits</c>) and stops calling the model too, until the break ends or a probe closes it.
/// </remarks>
/// <param name="inner">The provider's client (with its rate limits).</param>
/// <param name="options">The fallback model and the circuit settings.</param>
/// <param name="shared">The circuits shared with the other workers, or null to keep circuits to this process.</param>
/// <param name="timeProvider">The clock.</param>
/// <param name="logger">The logger.</param>
internal sealed partial class FallbackChatClient(
    IChatClient inner,
    ModelFallbackOptions options,
    SharedModelCircuits? shared,
    TimeProvider timeProvider,
    ILogger<FallbackChatClient> logger) : DelegatingChatClient(inner)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline> circuits = new(StringComparer.Ordinal);
    private readonly string defaultModel = inner.GetService<ChatClientMetadata>()?.DefaultModelId ?? "default";
    private readonly string provider = inner.GetService<ChatClientMetadata>()?.ProviderName ?? "unknown";

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
        if (shared is not null && await shared.OpenForAsync(CircuitKey(model), cancellationToken) is { } remaining)
        {
            LogSharedCircuitOpen(logger, model, remaining.TotalSeconds);
            throw new BrokenCircuitException($"The circuit of model {model} was opened by a worker; it lets calls through in {remaining.TotalSeconds:0.#} s.", remaining);
        }

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
            OnOpened = async args =>
            {
                LogCircuitOpened(logger, m, args.BreakDuration.TotalSeconds);
                if (shared is not null)
                {
                    await shared.OpenedAsync(CircuitKey(m), args.BreakDuration, args.Outcome.Exception?.Message);
                }
            },
            OnClosed = async _ =>
            {
                if (shared is not null)
                {
                    await shared.ClosedAsync(CircuitKey(m));
                }
            },
        })
        .Build());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model {Model} failed ({Reason}); falling back to {Fallback}")]
    private static partial void LogFallback(ILogger logger, string model, string fallback, string reason);

    // The shared key of a model's circuit: the same as the provider rate limits' (provider:model).
    private string CircuitKey(string model) => $"{provider}:{model}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit of model {Model} is held open by a worker for {Seconds:0.#} s more; not calling it")]
    private static partial void LogSharedCircuitOpen(ILogger logger, string model, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit of model {Model} opened for {Seconds} s")]
    private static partial void LogCircuitOpened(ILogger logger, string model, double seconds);
}
