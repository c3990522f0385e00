using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Runs;
using Agent.Persistence.Usage;
using Agent.Worker.Pricing;

namespace Agent.Worker.Runs;

/// <summary>
/// Builds what one step commits (<see cref="RunStepCommit"/>): the delta checkpoint, the <c>step</c> event the stream
/// and the audit log show (<c>{"step", "node", "checkpoint_id", "parent_checkpoint_id", "messages", "model_call"?,
/// "tool_calls"?, "values"?, "input_checkpoint"?}</c>), the usage counters and the priced model call. The checkpoint's
/// metadata is the run's metadata with <c>source</c> (<c>loop</c>), <c>step</c>, <c>run_id</c>, <c>thread_id</c> and
/// <c>node</c> set over it.
/// </summary>
/// <remarks>
/// A run's first step after new input also carries the run's input checkpoint, as LangGraph's Pregel loop writes one
/// before it applies the input (<c>langgraph/pregel/_loop.py</c>, <c>_first</c>): node <see cref="ReservedNodes.Input"/>,
/// an empty delta (its values are the thread's before the input), metadata <c>source: "input"</c> and <c>step</c> one
/// below the step's, <c>next: ["__start__"]</c>; the step's checkpoint is its child, and the step event names it
/// (<c>"input_checkpoint": {"checkpoint_id", "parent_checkpoint_id", "step"}</c>) for the checkpoints and debug streams.
/// </remarks>
/// <param name="prices">Prices model calls (USD).</param>
internal sealed class StepCommitBuilder(ModelPriceTable prices)
{
    /// <summary>Builds a step's commit.</summary>
    /// <param name="run">The run (its next step, parent checkpoint, epoch).</param>
    /// <param name="node">The node that ran (<see cref="ReservedNodes.Start"/> for the input).</param>
    /// <param name="delta">The messages the step adds.</param>
    /// <param name="modelStep">The step's model call, or null.</param>
    /// <param name="toolCalls">The step's tool calls, or null.</param>
    /// <param name="values">The new values of the channels the step wrote (other than <c>messages</c>), or null.</param>
    /// <param name="next">The node the graph runs next (<c>__end__</c>: none), or null when unknown.</param>
    /// <param name="afterInput">Whether the step applies the run's new input, so the run's input checkpoint comes first.</param>
    /// <returns>The commit (its checkpoints have fresh ids).</returns>
    public RunStepCommit Build(
        RunProgress run, string node, JsonArray delta, ModelStep? modelStep, JsonArray? toolCalls, JsonObject? values, string? next,
        bool afterInput = false)
    {
        var checkpointId = Guid.CreateVersion7();
        var input = afterInput ? InputCheckpoint(run, ref checkpointId) : null;
        var parentId = input?.CheckpointId ?? run.ParentCheckpointId;
        var stepData = new JsonObject
        {
            ["step"] = run.NextStep,
            ["node"] = node,
            ["checkpoint_id"] = checkpointId.ToString(),
            ["parent_checkpoint_id"] = parentId?.ToString(),
            ["messages"] = delta.DeepClone(),
        };
        if (run.CheckpointNs.Length > 0)
        {
            // A subgraph's step: the stream shows it as <mode>|<namespace> to clients that asked for stream_subgraphs.
            stepData["checkpoint_ns"] = run.CheckpointNs;
        }

        if (input is not null)
        {
            stepData["input_checkpoint"] = new JsonObject
            {
                ["checkpoint_id"] = input.CheckpointId.ToString(),
                ["parent_checkpoint_id"] = input.ParentCheckpointId?.ToString(),
                ["step"] = input.Step,
            };
        }

        if (next is not null)
        {
            // The node the graph runs next (none at the end): the checkpoints stream mode's "next".
            stepData["next"] = next == ReservedNodes.End ? new JsonArray() : new JsonArray(next);
        }

        decimal? priced = null;
        if (modelStep is not null)
        {
            priced = prices.CostUsd(modelStep.Model, modelStep.InputTokens, modelStep.OutputTokens);
            stepData["model_call"] = new JsonObject
            {
                ["provider"] = modelStep.Provider,
                ["model"] = modelStep.Model,
                ["input_tokens"] = modelStep.InputTokens,
                ["output_tokens"] = modelStep.OutputTokens,
                ["cached_input_tokens"] = modelStep.CachedInputTokens,
                ["latency_ms"] = Math.Round(modelStep.LatencyMs, 2),
                ["finish_reason"] = modelStep.FinishReason,
                ["cost_usd"] = priced,
            };
        }

        if (toolCalls is not null)
        {
            stepData["tool_calls"] = toolCalls;
        }

        // The delta holds the messages added and the new value of every other channel written (LangGraph's channel
        // writes); folding a branch's deltas gives the whole state (CheckpointFold, ChannelValues).
        var checkpointDelta = new JsonObject { ["messages"] = delta.DeepClone() };
        if (values is { Count: > 0 })
        {
            stepData["values"] = values.DeepClone();
            foreach (var (channel, value) in values)
            {
                checkpointDelta[channel] = value?.DeepClone();
            }
        }

        var metadata = Metadata(run, "loop", run.NextStep);
        metadata["node"] = node;
        return new RunStepCommit
        {
            RunId = run.RunId,
            Epoch = run.Epoch,
            Checkpoint = new Checkpoint
            {
                CheckpointId = checkpointId,
                TenantId = run.TenantId,
                ThreadId = run.ThreadId,
                RunId = run.RunId,
                CheckpointNs = run.CheckpointNs,
                ParentCheckpointId = parentId,
                Step = run.NextStep,
                Node = node,
                Delta = checkpointDelta.ToJsonString(),
                Metadata = metadata.ToJsonString(),
                Next = next is null ? null : next == ReservedNodes.End ? [] : [next],
            },
            InputCheckpoint = input,
            Events = [(RunEventKinds.Step, stepData.ToJsonString())],
            StepsAdded = node == ReservedNodes.Start ? 0 : 1,
            InputTokens = modelStep?.InputTokens ?? 0,
            OutputTokens = modelStep?.OutputTokens ?? 0,
            CostUsd = priced ?? 0,
            ModelCall = modelStep is null ? null : new ModelCall
            {
                Step = run.NextStep,
                CheckpointNs = run.CheckpointNs,
                Provider = modelStep.Provider,
                Model = modelStep.Model ?? "unknown",
                InputTokens = modelStep.InputTokens,
                OutputTokens = modelStep.OutputTokens,
                CachedInputTokens = modelStep.CachedInputTokens,
                LatencyMs = modelStep.LatencyMs,
                FinishReason = modelStep.FinishReason,
                CostUsd = priced,
            },
        };
    }

    // The run's input checkpoint. Its id must sort before the step's (two v7 ids of one millisecond are in random
    // order), so the two inserts, which EF Core sends in key order, keep the fold order in their sequence numbers.
    private static Checkpoint InputCheckpoint(RunProgress run, ref Guid stepCheckpointId)
    {
        var inputId = Guid.CreateVersion7();
        if (inputId.CompareTo(stepCheckpointId) > 0)
        {
            (inputId, stepCheckpointId) = (stepCheckpointId, inputId);
        }

        return new Checkpoint
        {
            CheckpointId = inputId,
            TenantId = run.TenantId,
            ThreadId = run.ThreadId,
            RunId = run.RunId,
            ParentCheckpointId = run.ParentCheckpointId,
            Step = run.NextStep - 1,
            Node = ReservedNodes.Input,
            Delta = new JsonObject { ["messages"] = new JsonArray() }.ToJsonString(),
            Metadata = Metadata(run, "input", run.NextStep - 1).ToJsonString(),
            Next = [ReservedNodes.Start],
        };
    }

    // The run's metadata first, then the checkpoint's own keys over it (LangGraph's order: a run's "step" or "source"
    // cannot mislabel a checkpoint), so history filtered by a run's metadata finds its checkpoints.
    private static JsonObject Metadata(RunProgress run, string source, int step)
    {
        var metadata = (JsonObject)run.Metadata.DeepClone();
        metadata["source"] = source;
        metadata["step"] = step;
        metadata["run_id"] = run.RunId.ToString();
        metadata["thread_id"] = run.ThreadId.ToString();
        if (run.CheckpointNs.Length > 0)
        {
            metadata["checkpoint_ns"] = run.CheckpointNs;
        }

        return metadata;
    }
}
