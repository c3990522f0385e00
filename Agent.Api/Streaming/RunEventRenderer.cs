using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Identifiers;
using Agent.Persistence.RunEvents;

namespace Agent.Api.Streaming;

/// <summary>
/// Turns a run's stored events and live token deltas into the SSE events of the requested stream modes
/// (reference/langgraph-server-api.md section 3.2): a step becomes <c>updates</c> <c>{node: {messages}}</c>,
/// <c>values</c> (the folded state), <c>messages</c> tuples, legacy <c>messages/*</c>, <c>custom</c> usage,
/// <c>debug</c>, <c>tasks</c> and <c>checkpoints</c>; a token delta becomes a <c>messages</c> chunk (or
/// <c>messages/partial</c>); a failed run becomes <c>error</c> <c>{error, message}</c>.
/// </summary>
/// <remarks>
/// <para>
/// Events store only each step's delta, so <c>values</c> is rebuilt here: the thread's messages before the run
/// (loaded once, lazily) plus the deltas of the run's steps in sequence order. Render every event from the first,
/// even those not emitted, so the fold is right on replay.
/// </para>
/// <para>
/// Token chunks are concatenated by message id in the SDKs (<c>MessageTupleManager</c>), so a message whose tokens
/// were streamed is never sent whole again: when its step commits, only what the client has not seen yet (a lost
/// delta, or the rest after a reconnect) goes out as a final chunk. Event ids are <see cref="StreamEventId"/>'s: a
/// token event's says how much of the streaming message the client has, and <see cref="ResumeAfter"/> reads it back
/// from <c>Last-Event-ID</c>.
/// </para>
/// <para>
/// A stored event's candidate events have fixed slots (mode by mode, message by message, in request order), counted
/// whether or not they are sent, so a client can resume between two events of one step on any connection.
/// </para>
/// </remarks>
/// <param name="modes">The requested stream modes.</param>
/// <param name="runId">The run.</param>
/// <param name="threadId">The run's thread.</param>
/// <param name="loadPriorValues">Loads the thread's values from before the run (<c>{"messages": [...], channel: value ...}</c>).</param>
internal sealed class RunEventRenderer(
    IReadOnlyList<StreamMode> modes, Guid runId, Guid threadId, Func<CancellationToken, Task<JsonObject>> loadPriorValues)
{
    private readonly bool wantsState = modes.Any(m => m is StreamMode.Values or StreamMode.Debug or StreamMode.Checkpoints or StreamMode.Tasks or StreamMode.Events);
    private readonly bool wantsTaskInput = modes.Any(m => m is StreamMode.Debug or StreamMode.Tasks or StreamMode.Events);
    private readonly bool wantsTokens = modes.Any(m => m is StreamMode.MessagesTuple or StreamMode.Messages or StreamMode.Events);
    private readonly Dictionary<string, StreamedMessage> streamed = new(StringComparer.Ordinal);
    private StreamedMessage? resume;
    private long resumeAfterSequence;
    private readonly Dictionary<string, JsonObject> subgraphStates = new(StringComparer.Ordinal);
    private readonly HashSet<string> sentInSubgraphs = new(StringComparer.Ordinal);
    private JsonObject? state;
    private string renderingNs = string.Empty;

    /// <summary>
    /// Gets whether subgraph steps are shown (<c>stream_subgraphs</c>): as <c>mode|namespace</c> events
    /// (<c>updates|research:1f0...</c>, LangGraph's <c>node:task_id</c> namespace, nested ones joined by <c>|</c>), their
    /// <c>values</c> the subgraph's own state and their <c>messages</c> metadata naming the namespace. Default is false:
    /// a subgraph's steps are not shown, and the parent node's update carries what the subgraph changed, as LangGraph
    /// streams without <c>subgraphs=True</c>. The <c>messages/*</c> and <c>events</c> modes never show subgraph steps.
    /// </summary>
    public bool Subgraphs { get; init; }

    /// <summary>
    /// Continues a stream whose client already has part of the message of the first model step after stored event
    /// <paramref name="sequence"/> (from a token event id, or a <c>N:s.c.t</c> id): that step sends only the rest.
    /// </summary>
    /// <param name="sequence">The stored event the client has everything up to; the resume applies to the first model step after it.</param>
    /// <param name="characters">Content characters the client has.</param>
    /// <param name="toolCalls">Tool calls the client has.</param>
    public void ResumeAfter(long sequence, int characters, int toolCalls)
    {
        resume = new StreamedMessage { Characters = characters, ToolCalls = toolCalls };
        resumeAfterSequence = sequence;
    }

    /// <summary>Renders one live token delta.</summary>
    /// <param name="token">The delta.</param>
    /// <returns>SSE events as name, JSON data and id (<see cref="StreamEventId.Token"/>), in order.</returns>
    public IReadOnlyList<(string Event, string Data, string Id)> RenderToken(AgentRunTokenStreamed token)
    {
        var output = new List<(string, string)>();
        var ns = token.CheckpointNs ?? string.Empty;
        if (!wantsTokens || (ns.Length > 0 && !Subgraphs))
        {
            return [];
        }

        renderingNs = ns;

        if (!streamed.TryGetValue(token.MessageId, out var message))
        {
            message = resume is not null && token.AfterSequence >= resumeAfterSequence ? resume : new StreamedMessage();
            resume = null;
            streamed[token.MessageId] = message;
        }

        // Overlap (already sent) is cut; a gap (a lost delta) stops the token relay for this message, and the committed
        // step sends the rest from where the client is.
        var text = token.Text;
        if (token.Offset < message.Characters)
        {
            text = message.Characters - token.Offset >= text.Length ? string.Empty : text[(message.Characters - token.Offset)..];
        }
        else if (token.Offset > message.Characters)
        {
            message.Broken = true;
        }

        var calls = token.ToolCalls is null ? new JsonArray() : JsonNode.Parse(token.ToolCalls) as JsonArray ?? [];
        var newCalls = calls.Skip(Math.Max(0, message.ToolCalls - token.ToolCallOffset)).Select(c => c!.DeepClone()).ToList();
        if (token.ToolCallOffset > message.ToolCalls)
        {
            message.Broken = true;
        }

        if (message.Broken || (text.Length == 0 && newCalls.Count == 0))
        {
            return [];
        }

        var (before, beforeCalls) = (message.Characters, message.ToolCalls);

        var metadata = Metadata(token.Node, JsonValue.Create(token.Step));
        foreach (var mode in modes)
        {
            if (mode == StreamMode.MessagesTuple)
            {
                output.Add((ns.Length == 0 ? "messages" : "messages|" + ns, new JsonArray(Chunk(token.MessageId, text, newCalls), metadata.DeepClone()).ToJsonString()));
            }
            else if (ns.Length > 0)
            {
                // Only the messages-tuple mode shows a subgraph's tokens.
                continue;
            }
            else if (mode == StreamMode.Messages)
            {
                if (!message.MetadataSent)
                {
                    output.Add(("messages/metadata", new JsonObject { [token.MessageId] = new JsonObject { ["metadata"] = metadata.DeepClone() } }.ToJsonString()));
                    message.MetadataSent = true;
                }

                message.Partial.Append(text);
                message.PartialCalls.AddRange(newCalls.Select(c => c!.DeepClone()));
                output.Add(("messages/partial", new JsonArray(Partial(token.MessageId, message)).ToJsonString()));
            }
            else if (mode == StreamMode.Events)
            {
                if (!message.EventsStarted)
                {
                    // The node and its model call start with the first token; the committed step does not repeat them.
                    output.Add(("events", LangChainEvents.Create("on_chain_start", token.Node, runId, Metadata(token.Node, JsonValue.Create(token.Step)), new JsonObject()).ToJsonString()));
                    output.Add(("events", LangChainEvents.Create("on_chat_model_start", LangChainEvents.ChatModel, runId, Metadata(token.Node, JsonValue.Create(token.Step)), new JsonObject()).ToJsonString()));
                    message.EventsStarted = true;
                }

                output.Add(("events", LangChainEvents.Create(
                    "on_chat_model_stream", LangChainEvents.ChatModel, runId, Metadata(token.Node, JsonValue.Create(token.Step)),
                    new JsonObject { ["chunk"] = Chunk(token.MessageId, text, newCalls) }).ToJsonString()));
            }
        }

        renderingNs = string.Empty;
        message.Characters += text.Length;
        message.ToolCalls += newCalls.Count;
        // The delta's last event carries what the client then has; an earlier one (messages/metadata, or a second
        // mode's copy) counts as before the delta, so a reconnect after it sends the delta's text again.
        return output.Select((e, i) => (e.Item1, e.Item2, i == output.Count - 1
                ? StreamEventId.Token(token.AfterSequence, message.Characters, message.ToolCalls, null)
                : StreamEventId.Token(token.AfterSequence, before, beforeCalls, i)))
            .ToList();
    }

    /// <summary>Renders one stored event.</summary>
    /// <param name="sequence">The event's sequence in the run.</param>
    /// <param name="kind">The event kind (<see cref="RunEventKinds"/>).</param>
    /// <param name="data">The event data (JSON text).</param>
    /// <param name="createdAt">When the event was committed (the <c>debug</c> timestamp).</param>
    /// <param name="cancellationToken">Cancels loading the prior state.</param>
    /// <returns>The SSE events with their slots, in order.</returns>
    public async Task<RenderedStep> RenderAsync(
        long sequence, string kind, string data, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        if (JsonNode.Parse(data) is not JsonObject payload)
        {
            return RenderedStep.Empty;
        }

        var ns = kind == RunEventKinds.Step && payload["checkpoint_ns"] is JsonValue nsValue && nsValue.TryGetValue<string>(out var stepNs) ? stepNs : string.Empty;
        if (ns.Length > 0 && !Subgraphs)
        {
            return RenderedStep.Empty;
        }

        if (ns.Length == 0)
        {
            return await RenderInAsync(ns, sequence, kind, payload, createdAt, cancellationToken);
        }

        // A subgraph step folds the subgraph's own state (its step 0 holds its whole input).
        var root = state;
        state = subgraphStates.GetValueOrDefault(ns) ?? new JsonObject { ["messages"] = new JsonArray() };
        renderingNs = ns;
        try
        {
            var rendered = await RenderInAsync(ns, sequence, kind, payload, createdAt, cancellationToken);
            foreach (var message in (payload["messages"] as JsonArray ?? []).OfType<JsonObject>())
            {
                if (message["id"]?.GetValue<string>() is { } id)
                {
                    sentInSubgraphs.Add(id);
                }
            }

            return rendered;
        }
        finally
        {
            subgraphStates[ns] = state;
            state = root;
            renderingNs = string.Empty;
        }
    }

    private async Task<RenderedStep> RenderInAsync(
        string ns, long sequence, string kind, JsonObject payload, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        var output = new List<RenderedEvent>();
        var slot = 0;
        // Every candidate takes a slot, sent or not, so slots mean the same on every connection.
        void Add(string name, JsonNode? json)
        {
            if (json is not null)
            {
                output.Add(new RenderedEvent(ns.Length == 0 ? name : name + "|" + ns, json.ToJsonString(), slot));
            }

            slot++;
        }

        if (kind == RunEventKinds.Interrupt)
        {
            // LangGraph streams a pause as {"__interrupt__": [{value, id}]} in updates and in values.
            var interrupts = payload["interrupts"] as JsonArray ?? [];
            foreach (var mode in modes)
            {
                if (mode is StreamMode.Updates or StreamMode.Values)
                {
                    Add(mode == StreamMode.Updates ? "updates" : "values", new JsonObject { ["__interrupt__"] = interrupts.DeepClone() });
                }
            }

            return new RenderedStep(output, null);
        }

        if (kind == RunEventKinds.Status)
        {
            Add("error", payload["error"] is JsonObject error && payload["status"]?.GetValue<string>() is "error" or "timeout" ? error : null);
            return new RenderedStep(output, null);
        }

        var node = payload["node"]?.GetValue<string>() ?? "agent";
        var messages = payload["messages"] as JsonArray ?? [];
        // A task's input is the state the node read: the thread's values before this step's writes (LangGraph).
        JsonObject? taskInput = null;
        // A run's first step after new input names the run's input checkpoint (the values before the input).
        var inputCheckpoint = payload["input_checkpoint"] as JsonObject;
        JsonObject? beforeInput = null;
        if (wantsState)
        {
            state ??= await loadPriorValues(cancellationToken);
            taskInput = wantsTaskInput ? (JsonObject)state.DeepClone() : null;
            beforeInput = inputCheckpoint is null ? null : (JsonObject)state.DeepClone();
            CheckpointFold.Apply((JsonArray)state["messages"]!, messages);
            foreach (var (channel, value) in payload["values"] as JsonObject ?? [])
            {
                // A step stores each written channel's new (already reduced) value.
                state[channel] = value?.DeepClone();
            }
        }

        var step = payload["step"];
        var isInput = node == "__start__";
        var resuming = resume is not null && sequence > resumeAfterSequence;
        var sent = messages.OfType<JsonObject>().Select(m => Streamed(m, node, resuming)).FirstOrDefault(m => m is not null);
        foreach (var mode in modes)
        {
            switch (mode)
            {
                case StreamMode.Updates when !isInput:
                    Add("updates", new JsonObject { [node] = Update(messages, payload["values"] as JsonObject) });
                    break;
                case StreamMode.Values:
                    Add("values", state!.DeepClone());
                    break;
                case StreamMode.MessagesTuple when !isInput:
                    foreach (var message in messages.OfType<JsonObject>())
                    {
                        if (ns.Length == 0 && message["id"]?.GetValue<string>() is { } shown && sentInSubgraphs.Contains(shown))
                        {
                            // Streamed by the subgraph already (stream_subgraphs): the parent's update does not repeat it.
                            Add("messages", null);
                            continue;
                        }

                        var had = Streamed(message, node, resuming);
                        var body = had is null ? message.DeepClone() : Remainder(message, had);
                        Add("messages", body is null ? null : new JsonArray(body, Metadata(node, step)));
                    }

                    break;
                case StreamMode.Messages when !isInput && ns.Length == 0:
                    foreach (var message in messages.OfType<JsonObject>())
                    {
                        var id = message["id"]?.GetValue<string>() ?? string.Empty;
                        Add("messages/metadata", Streamed(message, node, resuming) is { MetadataSent: true }
                            ? null
                            : new JsonObject { [id] = new JsonObject { ["metadata"] = Metadata(node, step) } });
                        Add("messages/complete", new JsonArray(message.DeepClone()));
                    }

                    break;
                case StreamMode.Custom when payload["model_call"] is JsonObject call:
                    var usage = (JsonObject)call.DeepClone();
                    usage["type"] = "model_call";
                    usage["step"] = step?.DeepClone();
                    Add("custom", usage);
                    break;
                case StreamMode.Debug:
                    if (inputCheckpoint is not null)
                    {
                        Add("debug", Debug("checkpoint", inputCheckpoint["step"], createdAt, InputCheckpointPayload(inputCheckpoint, beforeInput)));
                    }

                    if (!isInput)
                    {
                        Add("debug", Debug("task", step, createdAt, TaskPayload(payload, node, taskInput)));
                        Add("debug", Debug("task_result", step, createdAt, TaskResult(payload, node, messages)));
                    }

                    Add("debug", Debug("checkpoint", step, createdAt, CheckpointPayload(payload, node)));
                    break;
                case StreamMode.Tasks when !isInput:
                    Add("tasks", TaskPayload(payload, node, taskInput));
                    Add("tasks", TaskResult(payload, node, messages));
                    break;
                case StreamMode.Checkpoints:
                    if (inputCheckpoint is not null)
                    {
                        Add("checkpoints", InputCheckpointPayload(inputCheckpoint, beforeInput));
                    }

                    Add("checkpoints", CheckpointPayload(payload, node));
                    break;
                case StreamMode.Events when !isInput && ns.Length == 0:
                    foreach (var langChainEvent in LangChainEvents.ForStep(payload, node, runId, () => Metadata(node, step), taskInput, sent?.EventsStarted == true))
                    {
                        Add("events", langChainEvent);
                    }

                    break;
                default:
                    break;
            }
        }

        // Once committed, a message's tokens are history; a resume offset applies only to the first model step after
        // the event the client resumed from.
        foreach (var message in messages.OfType<JsonObject>())
        {
            if (message["id"]?.GetValue<string>() is { } id)
            {
                streamed.Remove(id);
            }
        }

        if (node == "agent" && resuming)
        {
            resume = null;
        }

        return new RenderedStep(output, sent is { Characters: > 0 } or { ToolCalls: > 0 } ? (sent.Characters, sent.ToolCalls) : null);
    }

    private static JsonObject Chunk(string id, string text, IReadOnlyList<JsonNode?> toolCallChunks) => new()
    {
        ["content"] = text,
        ["additional_kwargs"] = new JsonObject(),
        ["response_metadata"] = new JsonObject(),
        ["type"] = "AIMessageChunk",
        ["name"] = null,
        ["id"] = id,
        ["tool_calls"] = new JsonArray(),
        ["invalid_tool_calls"] = new JsonArray(),
        ["tool_call_chunks"] = new JsonArray(toolCallChunks.ToArray()),
        ["usage_metadata"] = null,
    };

    private static JsonObject Partial(string id, StreamedMessage message)
    {
        var calls = new JsonArray();
        foreach (var chunk in message.PartialCalls.OfType<JsonObject>())
        {
            JsonNode? args;
            try
            {
                args = JsonNode.Parse(chunk["args"]?.GetValue<string>() ?? "{}");
            }
            catch (JsonException)
            {
                args = new JsonObject();
            }

            calls.Add(new JsonObject { ["name"] = chunk["name"]?.DeepClone(), ["args"] = args, ["id"] = chunk["id"]?.DeepClone(), ["type"] = "tool_call" });
        }

        return new JsonObject
        {
            ["content"] = message.Partial.ToString(),
            ["additional_kwargs"] = new JsonObject(),
            ["response_metadata"] = new JsonObject(),
            ["type"] = "ai",
            ["name"] = null,
            ["id"] = id,
            ["tool_calls"] = calls,
            ["invalid_tool_calls"] = new JsonArray(),
        };
    }

    // What the client has of a committed message: its streamed tokens, or the resume offset for the first model step.
    private StreamedMessage? Streamed(JsonObject message, string node, bool resuming)
    {
        var id = message["id"]?.GetValue<string>();
        if (id is not null && streamed.TryGetValue(id, out var sent))
        {
            return sent;
        }

        return resuming && node == "agent" && message["type"]?.GetValue<string>() == "ai" ? resume : null;
    }

    // The part of a committed ai message the client has not seen, as one last chunk; null when it has all of it.
    private static JsonObject? Remainder(JsonObject message, StreamedMessage sent)
    {
        var content = message["content"] is JsonValue v && v.TryGetValue<string>(out var text) ? text : string.Empty;
        var rest = sent.Characters < content.Length ? content[sent.Characters..] : string.Empty;
        var calls = (message["tool_calls"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var restCalls = calls.Skip(sent.ToolCalls).Select((call, i) => (JsonNode?)new JsonObject
        {
            ["name"] = call["name"]?.DeepClone(),
            ["args"] = call["args"]?.ToJsonString() ?? "{}",
            ["id"] = call["id"]?.DeepClone(),
            ["index"] = sent.ToolCalls + i,
            ["type"] = "tool_call_chunk",
        }).ToList();
        if (rest.Length == 0 && restCalls.Count == 0)
        {
            return null;
        }

        var chunk = Chunk(message["id"]!.GetValue<string>(), rest, restCalls);
        chunk["response_metadata"] = message["response_metadata"]?.DeepClone() ?? new JsonObject();
        chunk["usage_metadata"] = message["usage_metadata"]?.DeepClone();
        return chunk;
    }

    private JsonObject Metadata(string node, JsonNode? step) => new()
    {
        ["langgraph_node"] = node,
        ["langgraph_step"] = step?.DeepClone(),
        ["langgraph_checkpoint_ns"] = renderingNs,
        ["run_id"] = runId.ToString(),
        ["thread_id"] = threadId.ToString(),
    };

    private static JsonObject Debug(string type, JsonNode? step, DateTimeOffset at, JsonObject payload) => new()
    {
        ["type"] = type,
        ["timestamp"] = at.ToUniversalTime().ToString("O"),
        ["step"] = step?.DeepClone(),
        ["payload"] = payload,
    };

    // LangGraph (1.x) triggers a node through its channel "branch:to:<node>", whichever edge wrote to it, and names a
    // task by an id of its own (a UUID v5 here, of the checkpoint the task wrote), never a checkpoint's id; start and
    // result events share it.
    private static JsonObject TaskPayload(JsonObject step, string node, JsonObject? input) => new()
    {
        ["id"] = TaskId(step, node),
        ["name"] = node,
        ["input"] = input?.DeepClone(),
        ["triggers"] = new JsonArray("branch:to:" + node),
    };

    // The result maps each channel the node wrote to its write, as LangGraph 1.x writes it (pregel/debug.py,
    // map_task_result_writes; the JS server's test suite expects the same object), not the older list of pairs.
    private static JsonObject TaskResult(JsonObject step, string node, JsonArray messages) => new()
    {
        ["id"] = TaskId(step, node),
        ["name"] = node,
        ["error"] = null,
        ["result"] = Update(messages, step["values"] as JsonObject),
        ["interrupts"] = new JsonArray(),
    };

    // A node's update as LangGraph streams it: the messages it added and the channels it wrote.
    private static JsonObject Update(JsonArray messages, JsonObject? values)
    {
        var update = new JsonObject { ["messages"] = messages.DeepClone() };
        foreach (var (channel, value) in values ?? [])
        {
            update[channel] = value?.DeepClone();
        }

        return update;
    }

    private static string TaskId(JsonObject step, string node) =>
        DeterministicGuid.Create($"task:{step["checkpoint_id"]}:{node}").ToString();

    private JsonObject CheckpointPayload(JsonObject step, string node)
    {
        // The worker records the next node with each step; older events fall back to the agent graph's routing.
        var messages = state?["messages"] as JsonArray;
        var last = messages?.Count > 0 ? messages[^1] as JsonObject : null;
        var fallback = last is null || last["type"]?.GetValue<string>() != "ai" ? "agent"
            : last["tool_calls"] is JsonArray { Count: > 0 } ? "tools" : null;
        var next = step["next"] as JsonArray ?? (fallback is null ? [] : new JsonArray(fallback));
        return Checkpoint(step, state, "loop", next);
    }

    // The run's input checkpoint (LangGraph's source "input"): the values before the input; __start__ runs next.
    private JsonObject InputCheckpointPayload(JsonObject inputCheckpoint, JsonObject? values) =>
        Checkpoint(inputCheckpoint, values, "input", new JsonArray("__start__"));

    private JsonObject Checkpoint(JsonObject checkpoint, JsonObject? values, string source, JsonArray next) => new()
    {
        ["config"] = Config(checkpoint["checkpoint_id"]),
        ["parent_config"] = checkpoint["parent_checkpoint_id"] is JsonValue parent ? Config(parent) : null,
        ["values"] = values?.DeepClone() ?? new JsonObject { ["messages"] = new JsonArray() },
        ["metadata"] = new JsonObject
        {
            ["source"] = source,
            ["step"] = checkpoint["step"]?.DeepClone(),
            ["run_id"] = runId.ToString(),
            ["thread_id"] = threadId.ToString(),
        },
        ["next"] = next.DeepClone(),
        ["tasks"] = new JsonArray(),
    };

    private JsonObject Config(JsonNode? checkpointId) => new()
    {
        ["configurable"] = new JsonObject
        {
            ["thread_id"] = threadId.ToString(),
            ["checkpoint_ns"] = renderingNs,
            ["checkpoint_id"] = checkpointId?.DeepClone(),
        },
    };

    private sealed class StreamedMessage
    {
        public int Characters { get; set; }

        public int ToolCalls { get; set; }

        public bool Broken { get; set; }

        public bool MetadataSent { get; set; }

        public bool EventsStarted { get; set; }

        public StringBuilder Partial { get; } = new();

        public List<JsonNode?> PartialCalls { get; } = [];
    }
}
