using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Runs;
using Agent.Persistence.Graphs;

namespace Agent.Api.Threads;

/// <summary>
/// One state update of the LangGraph Server API, <c>{"values": {"messages": [...]}, "as_node": "..."}</c>: the body of
/// <c>POST /threads/{id}/state</c>, and each update of a superstep of <c>POST /threads</c> (<c>supersteps</c>, reference
/// section 2.1; the JS SDK's <c>threads.create({ supersteps })</c>).
/// </summary>
/// <param name="AsNode">The node the update is written as; default <c>__update__</c>.</param>
/// <param name="Messages">The messages, normalised to LangChain form with ids.</param>
/// <param name="Values">The new values of the graph's other channels (last value wins); empty when none.</param>
internal sealed record StateUpdateRequest(string AsNode, JsonArray Messages, JsonObject? Values = null)
{
    /// <summary>The nodes an update may be written as.</summary>
    private static readonly string[] Nodes = ["__update__", "__start__", "agent", "tools"];

    /// <summary>The 422 detail of an <c>as_node</c> this graph does not have.</summary>
    public const string AsNodeError = "as_node must be one of __start__, agent, tools.";

    /// <summary>Reads an update. The checks run in this order, and the first failing one is the 422 detail.</summary>
    /// <param name="body">The update object.</param>
    /// <param name="graph">
    /// The thread's graph as its workers published it (its nodes and channels), or null when unknown: then only
    /// <c>messages</c> and the built-in graph's nodes are accepted.
    /// </param>
    /// <returns>The update, or a 422 detail: a field of the wrong type (<see cref="StateUpdateBody"/>), a channel the
    /// graph does not have, an <c>as_node</c> it does not have, or messages that do not normalise.</returns>
    public static (StateUpdateRequest? Update, string? Error) Read(JsonObject body, DeployedGraph? graph = null)
    {
        var (wire, error) = WireBody.Read(body, ThreadsJsonContext.Default.StateUpdateBody);
        if (error is not null)
        {
            return (null, error);
        }

        var channels = graph is null ? [] : (JsonNode.Parse(graph.Channels) as JsonArray ?? []).Select(c => c?.GetValue<string>()).OfType<string>().ToList();
        var unknownChannel = wire!.Values?.Select(p => p.Key).FirstOrDefault(k => k != "messages" && !channels.Contains(k));
        if (unknownChannel is not null)
        {
            return (null, graph is null
                ? $"values.{unknownChannel} is not a channel of this graph; its state has only messages."
                : $"values.{ApiRequest.Truncate(unknownChannel)} is not a channel of graph '{graph.GraphId}'; its channels: {string.Join(", ", ["messages", .. channels])}.");
        }

        var asNode = wire.AsNode ?? "__update__";
        var nodes = graph is null
            ? Nodes
            : ["__update__", .. (JsonNode.Parse(graph.Graph)?["nodes"] as JsonArray ?? []).Select(n => n?["id"]?.GetValue<string>()).OfType<string>().Where(n => n != "__end__")];
        if (!nodes.Contains(asNode))
        {
            return (null, graph is null
                ? AsNodeError
                : $"as_node '{ApiRequest.Truncate(asNode)}' is not a node of graph '{graph.GraphId}'; its nodes: {string.Join(", ", nodes.Skip(1))}.");
        }

        var (messages, messagesError) = InputMessageNormalizer.Normalize(wire.Values?["messages"]);
        var values = new JsonObject();
        foreach (var (channel, value) in wire.Values ?? [])
        {
            if (channel != "messages")
            {
                values[channel] = value?.DeepClone();
            }
        }

        return messagesError is not null ? (null, messagesError) : (new StateUpdateRequest(asNode, messages!, values), null);
    }

    /// <summary>
    /// Reads <c>supersteps</c>: <c>[{"updates": [update, ...]}, ...]</c>. A superstep becomes one checkpoint, as in
    /// LangGraph: its updates' messages in order, written as the node of its last update.
    /// </summary>
    /// <param name="node">The field's value (null or absent: no supersteps).</param>
    /// <returns>One update per superstep, or a 422 detail naming the position (<c>supersteps[i].updates[j]: ...</c>).</returns>
    public static (IReadOnlyList<StateUpdateRequest>? Supersteps, string? Error) ReadSupersteps(JsonNode? node)
    {
        if (node is null)
        {
            return ([], null);
        }

        if (node is not JsonArray steps)
        {
            return (null, "supersteps must be an array of {\"updates\": [...]} objects.");
        }

        var result = new List<StateUpdateRequest>(steps.Count);
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i] is not JsonObject { } step || step["updates"] is not JsonArray { Count: > 0 } updates)
            {
                return (null, $"supersteps[{i}].updates must be a non-empty array of updates.");
            }

            var messages = new JsonArray();
            var asNode = "__update__";
            for (var j = 0; j < updates.Count; j++)
            {
                var (update, error) = updates[j] is JsonObject body
                    ? body.ContainsKey("command") ? (null, "command is not supported in an update.") : Read(body)
                    : (null, "an update must be an object.");
                if (error is not null)
                {
                    return (null, $"supersteps[{i}].updates[{j}]: {error}");
                }

                foreach (var message in update!.Messages)
                {
                    messages.Add(message?.DeepClone());
                }

                asNode = update.AsNode;
            }

            result.Add(new StateUpdateRequest(asNode, messages));
        }

        return (result, null);
    }
}
