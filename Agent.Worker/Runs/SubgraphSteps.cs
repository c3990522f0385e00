using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Identifiers;
using Agent.Persistence.Runs;
using Agent.Worker.Budgets;

namespace Agent.Worker.Runs;

/// <summary>
/// Runs a node that runs a subgraph (<c>AgentGraphBuilder.AddSubgraph</c>): the subgraph's input and each of its nodes
/// is one durable step, committed through <see cref="RunCommitter.CommitStepAsync"/> like the run's own steps but in the
/// namespace <c>node:task_id</c> (LangGraph's <c>checkpoint_ns</c>; nested ones joined by <c>|</c>), with its own step
/// numbers from 0. The task id is the UUID v5 of the checkpoint the node runs from (the parent's head), the parent's
/// namespace and the node, so a worker that takes the run over, and a run that resumes a pause inside the subgraph, find
/// the subgraph's committed steps and go on after the last one: none runs again.
/// </summary>
/// <remarks>
/// The subgraph starts from the parent's messages and the values of the channels both graphs declare (its step 0,
/// <c>__start__</c>, stores them whole: the subgraph's state is the fold of its namespace alone). When it ends, the
/// parent node's result is what the subgraph changed: the messages it added or replaced, and the shared channels whose
/// value differs, written through the parent's reducers. An interrupt inside a subgraph pauses the run as LangGraph
/// surfaces it: on the parent's head, as an interrupt of the node that runs the subgraph (nested ones relabelled at each
/// level), so the thread's state shows it on that task; the run that resumes it (<c>command.resume</c>) comes back into
/// the same namespace, after the subgraph's last committed step (of the paused run), where the interrupting node runs
/// again and gets the value: its id derives from the subgraph's checkpoint it runs from, the same in both runs.
/// </remarks>
/// <param name="commits">Commits the subgraph's steps and ends the run on a stop.</param>
/// <param name="drain">Tells when the worker is stopping (the run is handed back between two steps).</param>
internal sealed class SubgraphSteps(RunCommitter commits, WorkerDrain drain)
{
    /// <summary>Runs a subgraph node to its end, or until the run must stop.</summary>
    /// <param name="parent">The graph whose node runs the subgraph.</param>
    /// <param name="node">The node.</param>
    /// <param name="subgraph">The subgraph.</param>
    /// <param name="state">The parent's state (its progress is the run's; restored when this returns).</param>
    /// <param name="checkpoints">The thread's checkpoints of every namespace, as loaded when the run was claimed.</param>
    /// <param name="recursionLimit">The run's cap on node steps (a subgraph's steps count too).</param>
    /// <param name="cancellationToken">The run's token.</param>
    /// <returns>
    /// The parent node's result (<see cref="NodeResult.Pause"/> set when a node inside raised an interrupt), or null when
    /// the run ended or was handed back inside the subgraph.
    /// </returns>
    public async Task<NodeResult?> RunAsync(
        IRunGraph parent, string node, IRunGraph subgraph, RunState state, IReadOnlyList<Checkpoint> checkpoints, int recursionLimit,
        CancellationToken cancellationToken)
    {
        var run = state.Progress;
        var (outerNs, outerStep, outerParent) = (run.CheckpointNs, run.NextStep, run.ParentCheckpointId);
        var taskId = DeterministicGuid.Create($"task:{outerParent?.ToString() ?? run.RunId.ToString()}:{outerNs}:{node}");
        var ns = (outerNs.Length == 0 ? string.Empty : outerNs + "|") + $"{node}:{taskId}";
        // The run's own steps in the namespace; when it resumes a pause, also those of the runs that paused there (a
        // pause is recorded on the parent's head, so only runs continuing from that head share the namespace).
        var resuming = state.Interrupts.Resuming.Count > 0;
        var committed = checkpoints.Where(c => c.CheckpointNs == ns && (c.RunId == run.RunId || resuming)).ToList();
        JsonArray messages;
        JsonObject values;
        if (committed.Count > 0)
        {
            messages = CheckpointFold.Fold(committed);
            values = ChannelValues.Fold(committed);
        }
        else
        {
            messages = (JsonArray)state.Messages.DeepClone();
            values = new JsonObject(state.Values.Where(p => subgraph.HasChannel(p.Key)).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
        }

        var sub = new RunState(run, messages, state.FirstOwnMessage, state.Settings, state.Budget, values)
        {
            LastNode = committed.Count > 0 ? committed[^1].Node : ReservedNodes.Start,
            Interrupts = state.Interrupts,
        };
        run.CheckpointNs = ns;
        (run.NextStep, run.ParentCheckpointId) = committed.Count > 0 ? (committed[^1].Step + 1, committed[^1].CheckpointId) : (0, (Guid?)null);
        try
        {
            if (committed.Count == 0)
            {
                // Step 0 holds the subgraph's whole input: its state is the fold of its own namespace.
                await commits.CommitStepAsync(
                    run, ReservedNodes.Start, new NodeResult((JsonArray)messages.DeepClone(), Values: values.Count > 0 ? (JsonObject)values.DeepClone() : null),
                    TryRoute(subgraph, sub));
            }

            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (drain.IsDraining)
                {
                    run.HandBack = true;
                    return null;
                }

                var next = subgraph.NextNode(sub);
                if (next == ReservedNodes.End)
                {
                    break;
                }

                if (run.StepCount >= recursionLimit)
                {
                    await commits.FinishAsync(run, AgentRunStatus.Error, RunErrors.RecursionLimit(recursionLimit), cancellationToken);
                    return null;
                }

                var result = subgraph.Subgraph(next) is { } nested
                    ? await RunAsync(subgraph, next, nested, sub, checkpoints, recursionLimit, cancellationToken)
                    : await subgraph.RunNodeAsync(next, sub, cancellationToken);
                if (result is null)
                {
                    return null;
                }

                if (result.Pause is { } raised)
                {
                    // Surfaced on the parent as its node's interrupt; the caller pauses on the parent's head.
                    return NodeResult.Paused([.. raised.Select(p => p with { Node = node })]);
                }

                if (result.Delta is null)
                {
                    await commits.StopOverBudgetAsync(sub, result.Stop!, cancellationToken);
                    return null;
                }

                CheckpointFold.Apply(messages, result.Delta);
                ChannelValues.Apply(values, result.Values);
                sub.LastNode = next;
                await commits.CommitStepAsync(run, next, result, TryRoute(subgraph, sub));
                sub.Interrupts.NodeCommitted();
                if (result.ModelStep is not null && BudgetGuard.AfterModelCall(state.Budget, run.Spend) is { } actual)
                {
                    await commits.StopOverBudgetAsync(sub, actual, cancellationToken);
                    return null;
                }
            }
        }
        finally
        {
            run.CheckpointNs = outerNs;
            (run.NextStep, run.ParentCheckpointId) = (outerStep, outerParent);
        }

        return Output(parent, state, messages, values);
    }

    // What the subgraph changed, as the parent node's writes: LangGraph applies a subgraph's output to the parent's
    // channels as the node's update (add_messages keeps one copy of a message by id).
    private static NodeResult Output(IRunGraph parent, RunState state, JsonArray messages, JsonObject values)
    {
        var before = state.Messages.OfType<JsonObject>().Where(m => m["id"] is JsonValue)
            .ToDictionary(m => m["id"]!.ToString(), m => m.ToJsonString(), StringComparer.Ordinal);
        var delta = new JsonArray();
        foreach (var message in messages.OfType<JsonObject>())
        {
            var id = message["id"]?.ToString();
            if (id is null || !before.TryGetValue(id, out var had) || had != message.ToJsonString())
            {
                delta.Add(message.DeepClone());
            }
        }

        var changed = new JsonObject();
        foreach (var (channel, value) in values)
        {
            if (channel != ChannelValues.MessagesChannel && parent.HasChannel(channel)
                && (!state.Values.TryGetPropertyValue(channel, out var old) || !JsonNode.DeepEquals(old, value)))
            {
                changed[channel] = value?.DeepClone();
            }
        }

        return new NodeResult(delta, Values: parent.InputValues(changed, state.Values));
    }

    private static string? TryRoute(IRunGraph graph, RunState state)
    {
        try
        {
            return graph.NextNode(state);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
