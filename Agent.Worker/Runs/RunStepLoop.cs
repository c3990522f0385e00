using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;
using Agent.Worker.Budgets;
using Agent.Worker.Interrupts;
using Agent.Worker.Models;
using Agent.Worker.Options;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// The durable step loop: load the run and its branch, then run the next node, commit it, repeat, until the graph
/// reaches its end or a limit stops it. Each iteration is one durable step (<see cref="RunCommitter.CommitStepAsync"/>).
/// The graph is the one the run's assistant names (<see cref="IRunGraphs"/>).
/// </summary>
internal sealed class RunStepLoop(
    RunLifecycle lifecycle, IRunGraphs graphs, RunCommitter commits, SubgraphSteps subgraphs, RunningRuns runningRuns, WorkerDrain drain,
    IOptions<AgentWorkerOptions> options, TimeProvider timeProvider)
{
    /// <summary>Runs the steps of a claimed run until it ends or must stop.</summary>
    /// <param name="run">The run.</param>
    /// <param name="cancellation">The run's cancellation.</param>
    /// <returns>A task that completes when the run ended or is handed back; cancellation and failures propagate.</returns>
    public async Task RunAsync(RunProgress run, RunCancellation cancellation)
    {
        var token = cancellation.Token;
        var settings = options.Value;
        var (row, config, graphId, allCheckpoints) = await lifecycle.LoadAsync(run.RunId, run.TenantId, run.ThreadId, token);
        // The run's own graph folds the root namespace; subgraph nodes resume from theirs (SubgraphSteps).
        var checkpoints = allCheckpoints.Where(c => c.CheckpointNs.Length == 0).ToList();
        var assistantConfig = JsonNode.Parse(config);
        var kwargs = JsonNode.Parse(row.Kwargs) as JsonObject ?? [];
        var (budget, budgetError) = RunBudget.Resolve(assistantConfig, kwargs["config"]);
        (run.LastSequence, run.RetryCount, run.StepCount) = (row.LastEventSequence, row.RetryCount, row.StepCount);
        run.Spend = new RunSpend(row.InputTokens, row.OutputTokens, row.CostUsd);
        run.Metadata = JsonNode.Parse(row.Metadata) as JsonObject ?? [];
        // The wall-time limit: the worker's, or the run's budget when that is shorter.
        using var deadline = cancellation.StartDeadline(
            row.StartedAt ?? timeProvider.GetUtcNow(), Math.Min(settings.RunTimeoutSeconds, budget?.MaxWallTimeSeconds ?? double.MaxValue), timeProvider);
        if (row.Attempt > settings.MaxAttempts)
        {
            await commits.FinishAsync(run, AgentRunStatus.Error, RunErrors.AttemptLimit(row.Attempt, settings.MaxAttempts), token);
            return;
        }

        // The branch the run continues: its own last step when resuming; else the checkpoint it was asked to run from
        // (checkpoint_id), else the thread's head. The run's own messages come last on it: loop detection counts only those.
        var own = checkpoints.LastOrDefault(c => c.RunId == run.RunId);
        var head = own?.CheckpointId
                   ?? (kwargs["checkpoint_id"] is JsonValue fork && Guid.TryParse(fork.GetValue<string>(), out var forkId) ? forkId : (Guid?)null)
                   ?? CheckpointFold.Head(checkpoints)?.CheckpointId;
        var lineage = CheckpointFold.Lineage(checkpoints, head);
        var messages = CheckpointFold.Fold(lineage);
        var values = ChannelValues.Fold(lineage);
        var firstOwnMessage = CheckpointFold.Fold(lineage.Where(c => c.RunId != run.RunId)).Count;
        (run.ParentCheckpointId, run.NextStep) = (head, (own?.Step ?? -1) + 1);
        if (row.CancelAction is { } requested)
        {
            runningRuns.RequestCancel(run.RunId, requested);
            token.ThrowIfCancellationRequested();
        }

        if (graphs.Find(graphId) is not { } graph)
        {
            await commits.FinishAsync(run, AgentRunStatus.Error, RunErrors.UnknownGraph(graphId, graphs.Names), token);
            return;
        }

        // Where the run started: the checkpoint before its own first step. Until the run has run a node of its own it
        // may be resuming a pause recorded there (command.resume, or input null on an interrupted thread).
        var firstOwn = checkpoints.FirstOrDefault(c => c.RunId == run.RunId);
        var startId = firstOwn is null ? head : firstOwn.ParentCheckpointId;
        var start = startId is null ? null : checkpoints.FirstOrDefault(c => c.CheckpointId == startId);
        var beforeOwnNode = own is null || own.Node == ReservedNodes.Start;
        var command = beforeOwnNode ? kwargs["command"] as JsonObject : null;
        var paused = beforeOwnNode && start is not null ? PendingInterrupt.Parse(start.Interrupts) : [];
        // No input (null, or no messages and no channel values): the run continues the thread instead of starting over.
        var hasInput = kwargs["input"] is JsonObject given && given.Any(p => p.Key != "messages" || p.Value is JsonArray { Count: > 0 });
        // A state update written as a node (POST /threads/{id}/state with as_node) is that node's write: the graph goes
        // on after it, as LangGraph's update_state makes it.
        var afterUpdate = start is { RunId: null } && start.Node is not (ReservedNodes.Start or UpdateNode)
                          && JsonNode.Parse(start.Metadata)?["source"] is JsonValue source && source.TryGetValue<string>(out var kind) && kind == "update";
        var continues = beforeOwnNode && !hasInput && (paused.Count > 0 || command is not null || afterUpdate);
        var interrupts = RunInterrupts.Read(kwargs, assistantConfig, continues ? paused : []);

        var state = new RunState(run, messages, firstOwnMessage, RunSettings.Read(kwargs, assistantConfig, ModelRouting.ToolSelectionModelKey), budget ?? RunBudget.Unlimited, values)
        {
            // A resumed run goes on after its last committed node; a continuing one after the node it paused at; a new
            // one starts at __start__.
            LastNode = own is not null && own.Node != ReservedNodes.Start ? own.Node
                : continues ? start?.Node ?? ReservedNodes.Start
                : ReservedNodes.Start,
            Interrupts = interrupts,
        };

        // The input is step 0 (node __start__): its messages, and its values of the graph's other channels; a command's
        // update is written the same way. New input comes after the run's input checkpoint (step -1, LangGraph's
        // source "input"), written in the same commit; a command's update has none, as LangGraph resumes without one.
        var input = own is null ? kwargs["input"] as JsonObject ?? command?["update"] as JsonObject : null;
        var afterInput = own is null && kwargs["input"] is JsonObject;
        var inputValues = input is not null ? graph.InputValues(input, values) : null;
        if (input is not null && (input["messages"] is JsonArray { Count: > 0 } || inputValues is not null))
        {
            var delta = input["messages"] is JsonArray inputMessages ? (JsonArray)inputMessages.DeepClone() : [];
            CheckpointFold.Apply(messages, delta);
            ChannelValues.Apply(values, inputValues);
            await commits.CommitStepAsync(run, ReservedNodes.Start, new NodeResult(delta, Values: inputValues), TryRoute(graph, state), afterInput);
        }

        if ((budget is null ? RunErrors.InvalidBudget(budgetError) : messages.Count == 0 && values.Count == 0 ? RunErrors.EmptyThread() : null) is { } invalid)
        {
            await commits.FinishAsync(run, AgentRunStatus.Error, invalid, token);
            return;
        }

        // command.goto: the node to run first (LangGraph's Command(goto=...)).
        var next = command?["goto"] switch
        {
            JsonValue v when v.TryGetValue<string>(out var name) => name,
            JsonArray { Count: > 0 } list when list[0] is JsonValue v && v.TryGetValue<string>(out var name) => name,
            _ => null,
        };
        var recursionLimit = Math.Min(row.RecursionLimit, graph.RecursionLimit ?? int.MaxValue);
        while (true)
        {
            token.ThrowIfCancellationRequested();
            if (drain.IsDraining)
            {
                // A safe point: the last step is committed and the next has not started.
                run.HandBack = true;
                return;
            }

            var node = next ?? graph.NextNode(state);
            next = null;
            if (node == ReservedNodes.End)
            {
                await commits.FinishAsync(run, AgentRunStatus.Success, error: null, token);
                return;
            }

            if (run.StepCount >= recursionLimit)
            {
                await commits.FinishAsync(run, AgentRunStatus.Error, RunErrors.RecursionLimit(recursionLimit), token);
                return;
            }

            if (state.Interrupts.PausesBefore(node))
            {
                await commits.PauseAsync(run, [StaticPause(run, node, PendingInterrupt.Before)], token);
                return;
            }

            NodeResult result;
            if (graph.Subgraph(node) is { } subgraph)
            {
                if (await subgraphs.RunAsync(graph, node, subgraph, state, allCheckpoints, recursionLimit, token) is not { } output)
                {
                    return;
                }

                result = output;
            }
            else
            {
                result = await graph.RunNodeAsync(node, state, token);
            }

            if (result.Pause is { } raised)
            {
                await commits.PauseAsync(run, raised, token);
                return;
            }

            if (result.Delta is null)
            {
                await commits.StopOverBudgetAsync(state, result.Stop!, token);
                return;
            }

            // The state after the step routes the next node before the commit, so the checkpoint records it (next).
            CheckpointFold.Apply(messages, result.Delta);
            ChannelValues.Apply(values, result.Values);
            state.LastNode = node;
            next = TryRoute(graph, state);
            await commits.CommitStepAsync(run, node, result, next);
            state.Interrupts.NodeCommitted();
            if (result.ModelStep is not null && BudgetGuard.AfterModelCall(budget!, run.Spend) is { } actual)
            {
                await commits.StopOverBudgetAsync(state, actual, token);
                return;
            }

            if (next is not null && state.Interrupts.PausesAfter(node, next))
            {
                await commits.PauseAsync(run, [StaticPause(run, node, PendingInterrupt.After)], token);
                return;
            }
        }
    }

    // The node a state update without as_node is written as.
    private const string UpdateNode = "__update__";

    // A route that throws is left to the loop's next NextNode call, which fails the run as before.
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

    private static PendingInterrupt StaticPause(RunProgress run, string node, string when) =>
        new(RunInterrupts.StaticId(run.ParentCheckpointId, node, when), node, when, null);
}
