using Agent.Worker.Models.Resilience;
using Agent.Worker.Options;
using Agent.Worker.Telemetry;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;

namespace Agent.Worker.Runs;

/// <summary>
/// The Polly pipelines that guard a run's external calls: each model call and each tool call gets a time limit per
/// attempt and retries transient failures inside the step with exponential backoff and jitter, honouring
/// <c>Retry-After</c>; a step commit retries transient database failures. See <see cref="TransientFailures"/> for
/// what counts as transient, and <see cref="AgentWorkerOptions"/> for the settings.
/// </summary>
internal sealed partial class StepRetries
{
    /// <summary>The most attempts a step commit makes while PostgreSQL is unreachable (about 15 s of backoff in all).</summary>
    public const int CommitAttempts = 7;

    private readonly ResiliencePipeline model;
    private readonly ResiliencePipeline tool;
    private readonly ResiliencePipeline commit;
    private readonly TimeProvider timeProvider;

    /// <summary>Initializes a new instance of the <see cref="StepRetries"/> class.</summary>
    /// <param name="options">The worker settings (limits, retries, delays).</param>
    /// <param name="timeProvider">The clock Polly waits on.</param>
    /// <param name="logger">Logs each retry.</param>
    public StepRetries(IOptions<AgentWorkerOptions> options, TimeProvider timeProvider, ILogger<StepRetries> logger)
    {
        var settings = options.Value;
        this.timeProvider = timeProvider;
        var maxDelay = TimeSpan.FromSeconds(settings.RetryMaxDelaySeconds);
        model = CallPipeline("model", TimeSpan.FromSeconds(settings.ModelCallTimeoutSeconds), settings, maxDelay, timeProvider, logger);
        tool = CallPipeline("tool", TimeSpan.FromSeconds(settings.ToolCallTimeoutSeconds), settings, maxDelay, timeProvider, logger);
        commit = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(TransientFailures.IsTransient),
                MaxRetryAttempts = CommitAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(250),
                MaxDelay = TimeSpan.FromSeconds(5),
                OnRetry = args =>
                {
                    LogCommitRetry(logger, args.Outcome.Exception, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    /// <summary>Calls the model with its time limit and in-step retries.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="call">The call; it must honour its token.</param>
    /// <param name="cancellationToken">The run's token (cancel, deadline, shutdown, lost lease).</param>
    /// <returns>The result.</returns>
    /// <exception cref="TransientStepException">Every attempt failed transiently, or the provider asked to wait longer than an in-step delay.</exception>
    public Task<T> CallModelAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        ExecuteAsync(model, "model", call, cancellationToken);

    /// <summary>Calls a tool with its time limit and in-step retries.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="call">The call; it must honour its token.</param>
    /// <param name="cancellationToken">The run's token.</param>
    /// <returns>The result.</returns>
    /// <exception cref="TransientStepException">Every attempt failed transiently.</exception>
    public Task<T> CallToolAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        ExecuteAsync(tool, "tool", call, cancellationToken);

    /// <summary>
    /// Commits with retries on transient database failures. Before each retry <paramref name="alreadyCommitted"/>
    /// checks whether the previous attempt went through after all (its acknowledgement may be what was lost), so a
    /// step is never committed twice.
    /// </summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="commitStep">The commit.</param>
    /// <param name="alreadyCommitted">Returns the earlier attempt's result when it was committed, else null.</param>
    /// <param name="cancellationToken">Cancels the commit.</param>
    /// <returns>The result (null when the commit was fenced).</returns>
    public async Task<T?> CommitAsync<T>(
        Func<CancellationToken, Task<T?>> commitStep, Func<CancellationToken, Task<T?>> alreadyCommitted, CancellationToken cancellationToken)
        where T : class
    {
        var attempt = 0;
        return await commit.ExecuteAsync(
            async token =>
            {
                if (attempt++ > 0 && await alreadyCommitted(token) is { } done)
                {
                    return done;
                }

                return await commitStep(token);
            },
            cancellationToken);
    }

    private static ResiliencePipeline CallPipeline(
        string call, TimeSpan timeout, AgentWorkerOptions settings, TimeSpan maxDelay, TimeProvider timeProvider, ILogger logger) =>
        new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                // A Retry-After longer than an in-step delay may be is not waited out here: the run parks instead.
                ShouldHandle = new PredicateBuilder().Handle<Exception>(
                    e => TransientFailures.IsTransient(e) && !(TransientFailures.RetryAfter(e, timeProvider.GetUtcNow()) > maxDelay)),
                MaxRetryAttempts = settings.StepRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(settings.RetryBaseDelayMs),
                MaxDelay = maxDelay,
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is { } e ? TransientFailures.RetryAfter(e, timeProvider.GetUtcNow()) : null),
                OnRetry = args =>
                {
                    LogCallRetry(logger, args.Outcome.Exception, call, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds);
                    AgentMetrics.StepRetries.Add(1, new KeyValuePair<string, object?>("call", call));
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(timeout)
            .Build();

    private async Task<T> ExecuteAsync<T>(
        ResiliencePipeline pipeline, string call, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        var attempts = 0;
        try
        {
            return await pipeline.ExecuteAsync(
                async token =>
                {
                    attempts++;
                    return await action(token);
                },
                cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && TransientFailures.IsTransient(ex))
        {
            throw new TransientStepException(call, attempts, TransientFailures.RetryAfter(ex, timeProvider.GetUtcNow()), ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The {Call} call failed transiently (attempt {Attempt}); retrying in {DelayMs} ms")]
    private static partial void LogCallRetry(ILogger logger, Exception? exception, string call, int attempt, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A step commit failed transiently (attempt {Attempt}); retrying in {DelayMs} ms")]
    private static partial void LogCommitRetry(ILogger logger, Exception? exception, int attempt, double delayMs);
}
