using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Agent.Contracts.Runs;
using MassTransit;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace Agent.Worker.Runs;

/// <summary>
/// Publishes one model call's streaming output as <see cref="AgentRunTokenStreamed"/> messages without slowing the
/// call: updates are queued, and a pump publishes whatever has accumulated as one message (so a fast model costs a
/// few broker round trips, not one per token). Best effort: a failed publish is logged and the rest continues; the
/// committed step carries the whole message anyway.
/// </summary>
internal sealed partial class TokenStreamPublisher : IAsyncDisposable
{
    private readonly Channel<ChatResponseUpdate> updates = Channel.CreateUnbounded<ChatResponseUpdate>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    private readonly IPublishEndpoint publisher;
    private readonly TimeProvider timeProvider;
    private readonly ILogger logger;
    private readonly AgentRunTokenStreamed template;
    private readonly Task pump;
    private int offset;
    private int toolCallOffset;

    /// <summary>Initializes a new instance of the <see cref="TokenStreamPublisher"/> class and starts its pump.</summary>
    /// <param name="publisher">The bus.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="template">The run, thread, step, node, message id and after-sequence every message carries.</param>
    public TokenStreamPublisher(IPublishEndpoint publisher, TimeProvider timeProvider, ILogger logger, AgentRunTokenStreamed template)
    {
        this.publisher = publisher;
        this.timeProvider = timeProvider;
        this.logger = logger;
        this.template = template;
        pump = Task.Run(PumpAsync);
    }

    /// <summary>Queues one streaming update of the model (never blocks).</summary>
    /// <param name="update">The update.</param>
    /// <returns>A completed task.</returns>
    public ValueTask OnUpdateAsync(ChatResponseUpdate update)
    {
        updates.Writer.TryWrite(update);
        return ValueTask.CompletedTask;
    }

    /// <summary>Publishes what is queued, then stops; call before committing the step so tokens precede it.</summary>
    /// <returns>A task that completes when everything queued was published (or failed).</returns>
    public async ValueTask DisposeAsync()
    {
        updates.Writer.TryComplete();
#pragma warning disable VSTHRD003 // The pump was started by this instance's constructor; awaiting it here is its join.
        await pump;
#pragma warning restore VSTHRD003
    }

    private async Task PumpAsync()
    {
        while (await updates.Reader.WaitToReadAsync())
        {
            var text = new StringBuilder();
            var toolCalls = new JsonArray();
            while (updates.Reader.TryRead(out var update))
            {
                foreach (var content in update.Contents)
                {
                    switch (content)
                    {
                        case TextContent t:
                            text.Append(t.Text);
                            break;
                        case FunctionCallContent call:
                            toolCalls.Add(new JsonObject
                            {
                                ["name"] = call.Name,
                                ["args"] = JsonSerializer.Serialize(call.Arguments ?? new Dictionary<string, object?>()),
                                ["id"] = call.CallId,
                                ["index"] = toolCallOffset + toolCalls.Count,
                                ["type"] = "tool_call_chunk",
                            });
                            break;
                        default:
                            break;
                    }
                }
            }

            if (text.Length == 0 && toolCalls.Count == 0)
            {
                continue;
            }

            var message = template with
            {
                Offset = offset,
                Text = text.ToString(),
                ToolCallOffset = toolCallOffset,
                ToolCalls = toolCalls.Count > 0 ? toolCalls.ToJsonString() : null,
                CreatedAt = timeProvider.GetUtcNow(),
            };
            offset += text.Length;
            toolCallOffset += toolCalls.Count;
            try
            {
                await publisher.Publish(message, CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogPublishFailed(logger, ex, template.RunId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: a token delta could not be published (the committed step still carries it)")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, Guid runId);
}
