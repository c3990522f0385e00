using System.Text.Json.Nodes;

namespace Agent.Worker.Runs;

/// <summary>
/// The outcome of one model call: the <c>ai</c> message and what it cost.
/// </summary>
/// <param name="Message">The LangChain <c>ai</c> message.</param>
/// <param name="Provider">The provider name (<c>openai</c>, <c>offline</c> ...).</param>
/// <param name="Model">The model that answered.</param>
/// <param name="InputTokens">Input tokens reported by the provider (0 when unknown).</param>
/// <param name="OutputTokens">Output tokens reported by the provider (0 when unknown).</param>
/// <param name="CachedInputTokens">Cached input tokens, when reported.</param>
/// <param name="LatencyMs">Wall time of the call in ms.</param>
/// <param name="FinishReason">The finish reason (<c>stop</c>, <c>tool_calls</c>, <c>length</c> ...).</param>
internal sealed record ModelStep(
    JsonObject Message,
    string Provider,
    string? Model,
    long InputTokens,
    long OutputTokens,
    long? CachedInputTokens,
    double LatencyMs,
    string? FinishReason);
