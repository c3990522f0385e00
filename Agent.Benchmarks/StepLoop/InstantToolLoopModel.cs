using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Agent.Benchmarks.StepLoop;

/// <summary>
/// A model that answers at once (0 ms): it calls <see cref="EchoPassageTool"/> until the conversation holds
/// <paramref name="toolRounds"/> tool results, then answers with text. Each call is timed into the
/// <see cref="StepProbe"/> under the run named by the first user message (<c>bench:{run_id}</c>, see
/// <see cref="StepLoopRuns"/>).
/// </summary>
/// <param name="probe">Records each call.</param>
/// <param name="toolRounds">How many tool rounds a run makes before the answer.</param>
internal sealed class InstantToolLoopModel(StepProbe probe, int toolRounds) : IChatClient
{
    /// <summary>The answer, about the size of a short cited answer (300 characters).</summary>
    public static readonly string AnswerText = new('a', 300);

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        var conversation = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var runId = StepLoopRuns.RunIdOf(conversation.First(m => m.Role == ChatRole.User).Text);
        var toolResults = conversation.Count(m => m.Role == ChatRole.Tool);
        var reply = toolResults < toolRounds
            ? new ChatResponse(new ChatMessage(
                ChatRole.Assistant,
                [new FunctionCallContent($"call_{toolResults}", EchoPassageTool.ToolName, new Dictionary<string, object?> { ["query"] = $"step {toolResults}" })]))
            {
                FinishReason = ChatFinishReason.ToolCalls,
            }
            : new ChatResponse(new ChatMessage(ChatRole.Assistant, AnswerText)) { FinishReason = ChatFinishReason.Stop };
        reply.ModelId = "instant";
        reply.Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20, TotalTokenCount = 120 };
        foreach (var update in reply.ToChatResponseUpdates())
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return update;
        }

        probe.Action(runId, "model", started, Stopwatch.GetTimestamp());
        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("instant", null, "instant") : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }
}
