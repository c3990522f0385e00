using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.RunEvents;

namespace Agent.Api.Streaming;

/// <summary>
/// Turns a run's stored events into the SSE events of the requested stream modes (reference/langgraph-server-api.md
/// section 3.2): a step becomes <c>updates</c> <c>{node: {messages}}</c>, <c>values</c> (the folded state),
/// <c>messages</c> tuples and <c>custom</c> usage; a failed run becomes <c>error</c> <c>{error, message}</c>.
/// </summary>
/// <remarks>
/// Events store only each step's delta, so <c>values</c> is rebuilt here: the thread's messages before the run
/// (loaded once, lazily) plus the deltas of the run's steps in sequence order. Render every event from the first,
/// even those not emitted, so the fold is right on replay.
/// </remarks>
/// <param name="modes">The requested stream modes.</param>
/// <param name="runId">The run.</param>
/// <param name="threadId">The run's thread.</param>
/// <param name="loadPriorMessages">Loads the thread's messages from before the run.</param>
internal sealed class RunEventRenderer(
    IReadOnlyList<string> modes, Guid runId, Guid threadId, Func<CancellationToken, Task<JsonArray>> loadPriorMessages)
{
    private readonly bool wantsValues = modes.Contains(StreamModes.Values);
    private JsonArray? state;

    /// <summary>Renders one stored event.</summary>
    /// <param name="kind">The event kind (<see cref="RunEventKinds"/>).</param>
    /// <param name="data">The event data (JSON text).</param>
    /// <param name="cancellationToken">Cancels loading the prior state.</param>
    /// <returns>SSE events as pairs of name and single-line JSON data, in order.</returns>
    public async Task<IReadOnlyList<(string Event, string Data)>> RenderAsync(string kind, string data, CancellationToken cancellationToken)
    {
        var output = new List<(string, string)>();
        if (JsonNode.Parse(data) is not JsonObject payload)
        {
            return output;
        }

        if (kind == RunEventKinds.Status)
        {
            if (payload["error"] is JsonObject error && payload["status"]?.GetValue<string>() is "error" or "timeout")
            {
                output.Add(("error", error.ToJsonString()));
            }

            return output;
        }

        var node = payload["node"]?.GetValue<string>() ?? "agent";
        var messages = payload["messages"] as JsonArray ?? [];
        if (wantsValues)
        {
            state ??= await loadPriorMessages(cancellationToken);
            CheckpointFold.Apply(state, messages);
        }

        foreach (var mode in modes)
        {
            switch (mode)
            {
                case StreamModes.Updates when node != "__start__":
                    output.Add(("updates", new JsonObject { [node] = new JsonObject { ["messages"] = messages.DeepClone() } }.ToJsonString()));
                    break;
                case StreamModes.Values:
                    output.Add(("values", new JsonObject { ["messages"] = state!.DeepClone() }.ToJsonString()));
                    break;
                case StreamModes.MessagesTuple when node != "__start__":
                    foreach (var message in messages.OfType<JsonObject>())
                    {
                        var metadata = new JsonObject
                        {
                            ["langgraph_node"] = node,
                            ["langgraph_step"] = payload["step"]?.DeepClone(),
                            ["run_id"] = runId.ToString(),
                            ["thread_id"] = threadId.ToString(),
                        };
                        output.Add(("messages", new JsonArray(message.DeepClone(), metadata).ToJsonString()));
                    }

                    break;
                case StreamModes.Custom when payload["model_call"] is JsonObject call:
                    var usage = (JsonObject)call.DeepClone();
                    usage["type"] = "model_call";
                    usage["step"] = payload["step"]?.DeepClone();
                    output.Add(("custom", usage.ToJsonString()));
                    break;
                default:
                    break;
            }
        }

        return output;
    }
}
