using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Assistants;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Graphs;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;

namespace Agent.Api.Threads;

/// <content>The state endpoints: get, update, at a checkpoint, and history.</content>
internal static partial class ThreadsApi
{
    private static async Task<IResult> GetThreadStateAsync(
        string thread_id, bool? subgraphs, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(thread_id, threads, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var all = await checkpoints.LoadAsync(thread!.ThreadId, cancellationToken);
        var head = CheckpointFold.Head(all);
        var state = ThreadJson.State(thread.ThreadId, all, head);
        if (subgraphs is true && head is not null)
        {
            ThreadJson.AddSubgraphStates(
                state, thread.ThreadId, await checkpoints.LoadSubgraphsAsync(thread.ThreadId, head.Sequence, cancellationToken));
        }

        return ApiResults.Json(state);
    }

    private static Task<IResult> GetStateAtAsync(
        string thread_id, string checkpoint_id, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken) =>
        StateAtAsync(thread_id, JsonValue.Create(checkpoint_id), threads, checkpoints, cancellationToken);

    private static async Task<IResult> PostStateAtAsync(
        string thread_id, HttpRequest request, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        return error ?? await StateAtAsync(thread_id, body!["checkpoint"], threads, checkpoints, cancellationToken);
    }

    private static async Task<IResult> StateAtAsync(
        string threadIdText, JsonNode? checkpointNode, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(threadIdText, threads, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (checkpointId, idError) = ThreadJson.ReadCheckpointId(checkpointNode, "checkpoint");
        if (idError is not null || checkpointId is null)
        {
            return ApiResults.Unprocessable(idError ?? "checkpoint is required.");
        }

        var all = await checkpoints.LoadAsync(thread!.ThreadId, cancellationToken);
        var at = all.FirstOrDefault(c => c.CheckpointId == checkpointId);
        return at is null
            ? ApiResults.NotFound($"Checkpoint {checkpointId} not found on thread {thread.ThreadId}.")
            : ApiResults.Json(ThreadJson.State(thread.ThreadId, all, at));
    }

    private static async Task<IResult> UpdateStateAsync(
        string thread_id, HttpRequest request, ThreadStore threads, RunLifecycle lifecycle, DeployedGraphStore graphs, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(thread_id, threads, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (body, bodyError) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (bodyError is not null)
        {
            return bodyError;
        }

        // The thread's graph (stamped on it by its runs; the built-in one before any run) says which nodes and channels
        // an update may name.
        var graphId = JsonNode.Parse(thread!.Metadata)?["graph_id"] is JsonValue g && g.TryGetValue<string>(out var id) ? id : SystemAssistants.AgentGraphId;
        var graph = await graphs.FindAsync(graphId, cancellationToken);
        var (stateUpdate, updateError) = StateUpdateRequest.Read(body!, graph);
        var (checkpointId, checkpointError) = ThreadJson.ReadCheckpointId(body!["checkpoint"], "checkpoint");
        var (checkpointIdField, checkpointIdError) = ThreadJson.ReadCheckpointId(body["checkpoint_id"], "checkpoint_id");
        if ((updateError ?? checkpointError ?? checkpointIdError) is { } problem)
        {
            return ApiResults.Unprocessable(problem);
        }

        var forkFrom = checkpointId ?? checkpointIdField;
        var update = await lifecycle.AddThreadStateAsync(
            thread.ThreadId, forkFrom, stateUpdate!.AsNode, stateUpdate.Messages, stateUpdate.Values, cancellationToken);
        if (update.Busy)
        {
            return ApiResults.Problem(
                StatusCodes.Status409Conflict, $"Thread {thread.ThreadId} is busy: a run is pending or running. Wait for it or cancel it first.");
        }

        if (update.Checkpoint is null)
        {
            return ApiResults.NotFound($"Checkpoint {forkFrom} not found on thread {thread.ThreadId}.");
        }

        var reference = ThreadJson.CheckpointRef(thread.ThreadId, update.Checkpoint.CheckpointId);
        // The Python SDK reads "checkpoint"; the JS SDK's type names "configurable": both are sent.
        return ApiResults.Json(new JsonObject { ["checkpoint"] = reference, ["configurable"] = reference.DeepClone() });
    }

    private static async Task<IResult> PatchStateAsync(
        string thread_id, HttpRequest request, ThreadStore threads, CancellationToken cancellationToken)
    {
        var (thread, patch, error) = await FindWithBodyAsync(thread_id, request, threads, ThreadsJsonContext.Default.ThreadStatePatch, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var patched = await threads.MergeStateMetadataAsync(thread!.ThreadId, patch!.Metadata, cancellationToken);
        return patched is null
            ? ApiResults.NotFound($"Thread {thread.ThreadId} has no state to patch: it has no checkpoint yet.")
            : Results.NoContent();
    }

    private static async Task<IResult> GetHistoryAsync(
        string thread_id, HttpRequest request, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken)
    {
        var body = new JsonObject();
        if (request.Query["limit"].ToString() is { Length: > 0 } limit)
        {
            if (!int.TryParse(limit, out var l))
            {
                return ApiResults.Unprocessable("limit must be an integer.");
            }

            body["limit"] = l;
        }

        if (request.Query["before"].ToString() is { Length: > 0 } before)
        {
            body["before"] = before;
        }

        return await HistoryAsync(thread_id, body, threads, checkpoints, cancellationToken);
    }

    private static async Task<IResult> PostHistoryAsync(
        string thread_id, HttpRequest request, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        return error ?? await HistoryAsync(thread_id, body!, threads, checkpoints, cancellationToken);
    }

    /// <summary>
    /// Lists the thread's states, newest checkpoint first (every branch, as LangGraph's checkpointer lists them):
    /// <c>limit</c> (default 10), <c>before</c> (only checkpoints older than it), <c>checkpoint</c> (only that one)
    /// and <c>metadata</c> (checkpoints whose metadata contains it).
    /// </summary>
    private static async Task<IResult> HistoryAsync(
        string threadIdText, JsonObject body, ThreadStore threads, CheckpointQueries checkpoints, CancellationToken cancellationToken)
    {
        var (thread, error) = await FindAsync(threadIdText, threads, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (wire, wireError) = WireBody.Read(body, ThreadsJsonContext.Default.ThreadHistoryBody);
        var limit = wire?.Limit ?? 10;
        if (wireError is null && limit is < 1 or > SearchRequest.MaxLimit)
        {
            wireError = ThreadHistoryBody.LimitError;
        }

        var (before, beforeError) = ThreadJson.ReadCheckpointId(wire?.Before, "before");
        var (only, onlyError) = ThreadJson.ReadCheckpointId(wire?.Checkpoint, "checkpoint");
        var metadata = wire?.Metadata;
        if ((wireError ?? beforeError ?? onlyError) is { } invalid)
        {
            return ApiResults.Unprocessable(invalid);
        }

        var all = await checkpoints.LoadAsync(thread!.ThreadId, cancellationToken);
        IEnumerable<Checkpoint> selected = all;
        if (before is { } beforeId)
        {
            var cutoff = all.FirstOrDefault(c => c.CheckpointId == beforeId);
            if (cutoff is null)
            {
                return ApiResults.NotFound($"Checkpoint {beforeId} not found on thread {thread.ThreadId}.");
            }

            selected = selected.Where(c => c.Sequence < cutoff.Sequence);
        }

        if (only is { } onlyId)
        {
            selected = selected.Where(c => c.CheckpointId == onlyId);
        }

        if (metadata is { Count: > 0 })
        {
            selected = selected.Where(c => JsonNode.Parse(c.Metadata) is JsonObject m
                                           && metadata.All(p => JsonNode.DeepEquals(m[p.Key], p.Value)));
        }

        var states = selected.Reverse().Take(limit).Select(c => (JsonNode)ThreadJson.State(thread.ThreadId, all, c));
        return ApiResults.Json(new JsonArray(states.ToArray()));
    }
}
