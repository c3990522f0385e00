using System.ClientModel.Primitives;

namespace Agent.Worker.Telemetry;

/// <summary>
/// The OpenAI SDK's retry policy (System.ClientModel <see cref="ClientRetryPolicy"/>: exponential backoff from 0.8 s,
/// honouring <c>Retry-After</c>, on 408, 429, 500, 502, 503, 504 and network errors), unchanged except that every
/// retry it decides on is counted in <c>agent.model.retries</c> with its <c>http.response.status_code</c> (0 for a
/// network error).
/// </summary>
/// <param name="maxRetries">Retries after the first attempt.</param>
internal sealed class MeteredRetryPolicy(int maxRetries) : ClientRetryPolicy(maxRetries)
{
    /// <inheritdoc />
    protected override bool ShouldRetry(PipelineMessage message, Exception? exception) =>
        Count(base.ShouldRetry(message, exception), message);

    /// <inheritdoc />
    protected override async ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception) =>
        Count(await base.ShouldRetryAsync(message, exception), message);

    private static bool Count(bool retry, PipelineMessage message)
    {
        if (retry)
        {
            AgentMetrics.ModelRetries.Add(1, new KeyValuePair<string, object?>("http.response.status_code", message.Response?.Status ?? 0));
        }

        return retry;
    }
}
