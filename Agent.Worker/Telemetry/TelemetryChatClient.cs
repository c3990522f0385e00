using System.ClientModel;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Agent.Telemetry;
using Agent.Worker.Pricing;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Telemetry;

/// <summary>
/// Wraps the model port with GenAI telemetry, outside the agent loop: one <c>chat {model}</c> span per call (GenAI
/// semantic conventions v1.41 inference span; kind Client, or Internal for an in-process model without an endpoint),
/// the <c>gen_ai.client.operation.duration</c>, <c>gen_ai.client.token.usage</c> and
/// <c>gen_ai.client.operation.time_to_first_chunk</c> metrics, and <c>agent.model.cost</c> from the price table. The
/// OpenAI SDK creates no spans for streamed chat (reference/observability.md section 5.4), so this is the only chat
/// span; the SDK's HTTP attempts appear beneath it as <c>System.Net.Http</c> spans.
/// </summary>
/// <remarks>
/// Prompts and completions are recorded only when <see cref="TelemetryOptions.CaptureMessageContent"/> is on (span
/// attributes <c>gen_ai.input.messages</c>/<c>gen_ai.output.messages</c> and one
/// <c>gen_ai.client.inference.operation.details</c> log event per call). Updates pass through unchanged.
/// </remarks>
/// <param name="innerClient">The provider's client.</param>
/// <param name="prices">The price table.</param>
/// <param name="options">The telemetry options.</param>
/// <param name="logger">The logger for the opt-in content event.</param>
internal sealed partial class TelemetryChatClient(
    IChatClient innerClient, ModelPriceTable prices, TelemetryOptions options, ILogger<TelemetryChatClient> logger)
    : DelegatingChatClient(innerClient)
{
    private readonly ModelPriceTable prices = prices;
    private readonly TelemetryOptions options = options;
    private readonly ILogger<TelemetryChatClient> logger = logger;

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var call = Start(messages, options, stream: false);
        try
        {
            var response = await base.GetResponseAsync(messages, options, cancellationToken);
            call.Complete(response);
            return response;
        }
        catch (Exception ex)
        {
            call.Fail(ex);
            throw;
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var parent = Activity.Current;
        var call = Start(messages, options, stream: true);
        Activity.Current = parent;
        var updates = new List<ChatResponseUpdate>();
        var completed = false;
        try
        {
            await using var enumerator = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            while (true)
            {
                ChatResponseUpdate update;
                // An async iterator runs each MoveNextAsync in its caller's context: re-enter the span so the
                // provider's HTTP spans nest under it on every read, not only the first.
                var outer = Activity.Current;
                Activity.Current = call.Activity ?? outer;
                try
                {
                    if (!await enumerator.MoveNextAsync())
                    {
                        break;
                    }

                    update = enumerator.Current;
                }
                catch (Exception ex)
                {
                    call.Fail(ex);
                    completed = true;
                    throw;
                }
                finally
                {
                    Activity.Current = outer;
                }

                call.FirstChunk();
                updates.Add(update);
                yield return update;
            }

            call.Complete(updates.ToChatResponse());
            completed = true;
        }
        finally
        {
            if (!completed)
            {
                // The caller stopped reading early (cancelled or abandoned the stream).
                call.Fail(new OperationCanceledException("The stream was abandoned before it completed."));
            }
        }
    }

    private ChatCall Start(IEnumerable<ChatMessage> messages, ChatOptions? chatOptions, bool stream)
    {
        var metadata = InnerClient.GetService<ChatClientMetadata>();
        var provider = metadata?.ProviderName ?? "unknown";
        var requestModel = chatOptions?.ModelId ?? metadata?.DefaultModelId ?? "unknown";
        var endpoint = metadata?.ProviderUri;
        var tags = new TagList
        {
            { GenAiAttributes.OperationName, GenAiAttributes.ChatOperation },
            { GenAiAttributes.ProviderName, provider },
            { GenAiAttributes.RequestModel, requestModel },
        };
        if (endpoint is not null)
        {
            tags.Add(GenAiAttributes.ServerAddress, endpoint.Host);
            tags.Add(GenAiAttributes.ServerPort, endpoint.Port);
        }

        // Sampling-relevant attributes are given at creation (spec); the rest only on the span, off the metrics.
        var activity = AgentTelemetry.Source.StartActivity(
            $"{GenAiAttributes.ChatOperation} {requestModel}",
            endpoint is null ? ActivityKind.Internal : ActivityKind.Client,
            parentContext: default,
            tags: tags);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(GenAiAttributes.RequestStream, stream);
            if (RunTelemetry.Current is { } run)
            {
                activity.SetTag(GenAiAttributes.ConversationId, run.ThreadId.ToString());
                activity.SetTag(GenAiAttributes.RunId, run.RunId.ToString());
            }

            if (chatOptions?.MaxOutputTokens is { } maxTokens)
            {
                activity.SetTag(GenAiAttributes.RequestMaxTokens, maxTokens);
            }

            if (chatOptions?.Temperature is { } temperature)
            {
                activity.SetTag(GenAiAttributes.RequestTemperature, temperature);
            }
        }

        var input = options.CaptureMessageContent ? GenAiMessages.ToJson(messages) : null;
        if (input is not null)
        {
            activity?.SetTag(GenAiAttributes.InputMessages, input);
        }

        return new ChatCall(this, activity, tags, provider, requestModel, input, stream);
    }

    // The GenAI event name, which the OTLP log exporter sends as EventName (gen-ai-events.md).
    [LoggerMessage(
        EventId = 1,
        EventName = "gen_ai.client.inference.operation.details",
        Level = LogLevel.Information,
        Message = "Model call {ResponseModel}: input {InputMessages} output {OutputMessages}")]
    private static partial void LogDetails(ILogger logger, string responseModel, string? inputMessages, string outputMessages);

    /// <summary>One model call being measured.</summary>
    private sealed class ChatCall(
        TelemetryChatClient owner, Activity? activity, TagList tags, string provider, string requestModel, string? input, bool stream)
    {
        private readonly long started = Stopwatch.GetTimestamp();
        private bool firstChunkSeen;

        public Activity? Activity { get; } = activity;

        public void FirstChunk()
        {
            if (firstChunkSeen || !stream)
            {
                return;
            }

            firstChunkSeen = true;
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            AgentMetrics.TimeToFirstChunk.Record(seconds, tags);
            Activity?.SetTag(GenAiAttributes.ResponseTimeToFirstChunk, seconds);
        }

        public void Complete(ChatResponse response)
        {
            var metricTags = tags;
            var responseModel = response.ModelId;
            if (responseModel is not null)
            {
                metricTags.Add(GenAiAttributes.ResponseModel, responseModel);
            }

            AgentMetrics.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, metricTags);
            var usage = response.Usage;
            // The spec: token usage MUST NOT be reported when the provider gave no counts.
            if (usage?.InputTokenCount is { } inputTokens)
            {
                var inputTags = metricTags;
                inputTags.Add(GenAiAttributes.TokenType, "input");
                AgentMetrics.TokenUsage.Record(inputTokens, inputTags);
            }

            if (usage?.OutputTokenCount is { } outputTokens)
            {
                var outputTags = metricTags;
                outputTags.Add(GenAiAttributes.TokenType, "output");
                AgentMetrics.TokenUsage.Record(outputTokens, outputTags);
            }

            var cost = owner.prices.CostUsd(responseModel ?? requestModel, usage?.InputTokenCount ?? 0, usage?.OutputTokenCount ?? 0);
            if (cost is { } usd)
            {
                AgentMetrics.ModelCost.Add(
                    (double)usd,
                    new KeyValuePair<string, object?>(GenAiAttributes.ProviderName, provider),
                    new KeyValuePair<string, object?>(GenAiAttributes.RequestModel, requestModel));
            }

            if (Activity is not null)
            {
                Activity.SetTag(GenAiAttributes.ResponseModel, responseModel);
                Activity.SetTag(GenAiAttributes.ResponseId, response.ResponseId);
                if (response.FinishReason is { } finish)
                {
                    Activity.SetTag(GenAiAttributes.ResponseFinishReasons, new[] { finish.Value });
                }

                Activity.SetTag(GenAiAttributes.UsageInputTokens, usage?.InputTokenCount);
                Activity.SetTag(GenAiAttributes.UsageOutputTokens, usage?.OutputTokenCount);
                Activity.SetTag(GenAiAttributes.UsageCacheReadInputTokens, usage?.CachedInputTokenCount);
                Activity.SetTag(GenAiAttributes.CostUsd, cost is null ? null : (double)cost);
            }

            if (owner.options.CaptureMessageContent)
            {
                var output = GenAiMessages.ToJson(response);
                Activity?.SetTag(GenAiAttributes.OutputMessages, output);
                LogDetails(owner.logger, responseModel ?? requestModel, input, output);
            }

            Activity?.Dispose();
        }

        public void Fail(Exception error)
        {
            var errorType = error switch
            {
                ClientResultException { Status: > 0 } http => http.Status.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => error.GetType().FullName ?? error.GetType().Name,
            };
            var metricTags = tags;
            metricTags.Add(GenAiAttributes.ErrorType, errorType);
            AgentMetrics.OperationDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, metricTags);
            if (Activity is not null)
            {
                Activity.SetTag(GenAiAttributes.ErrorType, errorType);
                Activity.SetStatus(ActivityStatusCode.Error, error.Message);
                Activity.Dispose();
            }
        }
    }
}
