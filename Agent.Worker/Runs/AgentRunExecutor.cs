using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Persistence;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Agent.Worker.Agent;
using Agent.Worker.Models;
using Agent.Worker.Webhooks;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Agent.Worker.Runs;

/// <summary>
/// Executes a run durably: claims its lease, rebuilds the thread state from checkpoints, resumes after the last
/// committed step, and commits each step (a model call, a round of tool calls) in one fenced transaction before
/// publishing its events. See ARCHITECTURE.md, "The run, step by step".
/// </summary>
internal sealed partial class AgentRunExecutor(
    AgentDbContext db,
    RunStore runStore,
    RetrievalAgent agent,
    ModelPriceTable prices,
    RunningRuns runningRuns,
    WebhookDispatcher webhooks,
    IServiceScopeFactory scopes,
    IPublishEndpoint publisher,
    ISendEndpointProvider sendEndpoints,
    IOptions<AgentWorkerOptions> options,
    TimeProvider timeProvider,
    ILogger<AgentRunExecutor> logger)
{
    /// <summary>Executes (or resumes) a run until it ends, is cancelled, or this worker loses its lease.</summary>
    /// <param name="message">The command.</param>
    /// <param name="redelivered">Whether the broker redelivered the command (its previous consumer died).</param>
    /// <param name="stoppingToken">Cancelled when the worker shuts down.</param>
    /// <returns>A task that completes when the run no longer needs this worker.</returns>
    public async Task ExecuteAsync(StartAgentRun message, bool redelivered, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var claim = await runStore.ClaimAsync(message.RunId, settings.InstanceId, settings.LeaseDuration, redelivered, stoppingToken);
        if (claim.Outcome != RunClaimOutcome.Claimed)
        {
            // Not ours to run: a duplicate, a finished or deleted run, or one queued behind its thread's current
            // run (which starts it when it ends). Acking is right in every case: the row is the source of truth.
            LogNotClaimed(logger, message.RunId, claim.Outcome);
            return;
        }

        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["run_id"] = message.RunId,
            ["thread_id"] = message.ThreadId,
        });
        LogClaimed(logger, message.RunId, claim.Epoch, claim.Attempt);

        using var runCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var registration = runningRuns.Register(message.RunId, runCancellation);
        var leaseLost = false;
        var run = new RunProgress(message.RunId, claim.TenantId, message.ThreadId, claim.Epoch);
        await using (LeaseHeartbeat.Start(
            scopes, message.RunId, claim.Epoch, settings, timeProvider,
            () =>
            {
                leaseLost = true;
                runCancellation.Cancel();
            },
            logger))
        {
            try
            {
                await RunStepsAsync(run, runCancellation.Token);
            }
            catch (OperationCanceledException) when (leaseLost || run.Fenced)
            {
                LogFenced(logger, message.RunId, claim.Epoch);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Shutting down: give the lease back so the redelivered command resumes the run elsewhere at once.
                await runStore.ReleaseLeaseAsync(message.RunId, claim.Epoch, CancellationToken.None);
                throw;
            }
            catch (OperationCanceledException) when (runningRuns.CancelAction(message.RunId) is { } action)
            {
                await CancelAsync(run, action);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRunFailed(logger, ex, message.RunId);
                var error = new JsonObject { ["error"] = ex.GetType().Name, ["message"] = ex.Message };
                await FinishAsync(run, AgentRunStatus.Error, AgentThreadStatus.Error, error, CancellationToken.None);
            }
        }

        if (run.Ended)
        {
            webhooks.Enqueue(message.RunId);
            await StartNextQueuedRunAsync(run, stoppingToken);
        }
    }

    private async Task RunStepsAsync(RunProgress run, CancellationToken cancellationToken)
    {
        var row = await db.Runs.AsNoTracking().SingleAsync(r => r.RunId == run.RunId, cancellationToken);
        var assistantConfig = JsonNode.Parse(await db.Assistants.AsNoTracking().Where(a => a.AssistantId == row.AssistantId)
            .Select(a => a.Config).SingleAsync(cancellationToken));
        var kwargs = JsonNode.Parse(row.Kwargs) as JsonObject ?? [];
        var model = Setting(kwargs, assistantConfig, "model");
        var systemPrompt = Setting(kwargs, assistantConfig, "system_prompt");
        var tools = ToolsSetting(kwargs, assistantConfig);

        var checkpoints = await db.Checkpoints.AsNoTracking().Where(c => c.TenantId == run.TenantId && c.ThreadId == run.ThreadId)
            .OrderBy(c => c.Sequence).ToListAsync(cancellationToken);
        // The branch the run continues: its own last step when resuming; else the checkpoint it was asked to run from
        // (checkpoint_id), else the thread's head.
        var own = checkpoints.LastOrDefault(c => c.RunId == run.RunId);
        var head = own?.CheckpointId
                   ?? (kwargs["checkpoint_id"] is JsonValue fork && Guid.TryParse(fork.GetValue<string>(), out var forkId) ? forkId : (Guid?)null)
                   ?? CheckpointFold.Head(checkpoints)?.CheckpointId;
        var messages = CheckpointFold.Fold(CheckpointFold.Lineage(checkpoints, head));
        run.ParentCheckpointId = head;
        run.LastSequence = row.LastEventSequence;
        var ownSteps = own?.Step ?? -1;
        run.NextStep = ownSteps + 1;
        run.StepCount = row.StepCount;

        if (row.CancelAction is { } requested)
        {
            runningRuns.RequestCancel(run.RunId, requested);
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (ownSteps < 0 && kwargs["input"]?["messages"] is JsonArray { Count: > 0 } input)
        {
            var delta = (JsonArray)input.DeepClone();
            await CommitAsync(run, AgentNode.Start, delta, modelStep: null, toolCalls: null, cancellationToken);
            CheckpointFold.Apply(messages, delta);
        }

        if (messages.Count == 0)
        {
            var error = new JsonObject { ["error"] = "InvalidInput", ["message"] = "The thread is empty and the run has no input messages." };
            await FinishAsync(run, AgentRunStatus.Error, AgentThreadStatus.Error, error, cancellationToken);
            return;
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var node = RetrievalAgent.NextNode(messages);
            if (node == AgentNode.End)
            {
                await FinishAsync(run, AgentRunStatus.Success, AgentThreadStatus.Idle, error: null, cancellationToken);
                return;
            }

            if (run.StepCount >= row.RecursionLimit)
            {
                // LangGraph's GraphRecursionError text, so clients recognise it.
                var error = new JsonObject
                {
                    ["error"] = "GraphRecursionError",
                    ["message"] = $"Recursion limit of {row.RecursionLimit} reached without hitting a stop condition. " +
                                  "You can increase the limit by setting the `recursion_limit` config key.",
                };
                await FinishAsync(run, AgentRunStatus.Error, AgentThreadStatus.Error, error, cancellationToken);
                return;
            }

            JsonArray delta;
            if (node == AgentNode.Agent)
            {
                var messageId = $"run-{run.RunId:N}-{run.NextStep}";
                ModelStep step;
                // Tokens go out as they stream; the publisher is flushed before the step commits, so they precede it.
                await using (var tokens = new TokenStreamPublisher(publisher, timeProvider, logger, new AgentRunTokenStreamed
                {
                    RunId = run.RunId,
                    ThreadId = run.ThreadId,
                    AfterSequence = run.LastSequence,
                    Step = run.NextStep,
                    Node = node,
                    MessageId = messageId,
                    Offset = 0,
                    Text = string.Empty,
                    CreatedAt = timeProvider.GetUtcNow(),
                }))
                {
                    step = await agent.CallModelAsync(messages, messageId, model, systemPrompt, tools, tokens.OnUpdateAsync, cancellationToken);
                }

                delta = [step.Message];
                await CommitAsync(run, node, delta, step, toolCalls: null, cancellationToken);
            }
            else
            {
                (JsonArray results, JsonArray calls) = await agent.RunToolsAsync(
                    (JsonObject)messages[^1]!, run.RunId, run.NextStep, tools, cancellationToken);
                delta = results;
                await CommitAsync(run, node, delta, modelStep: null, calls, cancellationToken);
            }

            CheckpointFold.Apply(messages, delta);
        }
    }

    private async Task CommitAsync(
        RunProgress run, string node, JsonArray delta, ModelStep? modelStep, JsonArray? toolCalls, CancellationToken cancellationToken)
    {
        var checkpointId = Guid.CreateVersion7();
        var stepData = new JsonObject
        {
            ["step"] = run.NextStep,
            ["node"] = node,
            ["checkpoint_id"] = checkpointId.ToString(),
            ["parent_checkpoint_id"] = run.ParentCheckpointId?.ToString(),
            ["messages"] = delta.DeepClone(),
        };
        decimal cost = 0;
        if (modelStep is not null)
        {
            var priced = prices.CostUsd(modelStep.Model, modelStep.InputTokens, modelStep.OutputTokens);
            cost = priced ?? 0;
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

        var metadata = new JsonObject
        {
            ["source"] = node == AgentNode.Start ? "input" : "loop",
            ["step"] = run.NextStep,
            ["run_id"] = run.RunId.ToString(),
            ["thread_id"] = run.ThreadId.ToString(),
            ["node"] = node,
        };
        var commit = new RunStepCommit
        {
            RunId = run.RunId,
            Epoch = run.Epoch,
            Checkpoint = new Checkpoint
            {
                CheckpointId = checkpointId,
                TenantId = run.TenantId,
                ThreadId = run.ThreadId,
                RunId = run.RunId,
                ParentCheckpointId = run.ParentCheckpointId,
                Step = run.NextStep,
                Node = node,
                Delta = new JsonObject { ["messages"] = delta.DeepClone() }.ToJsonString(),
                Metadata = metadata.ToJsonString(),
            },
            Events = [(RunEventKinds.Step, stepData.ToJsonString())],
            StepsAdded = node == AgentNode.Start ? 0 : 1,
            InputTokens = modelStep?.InputTokens ?? 0,
            OutputTokens = modelStep?.OutputTokens ?? 0,
            CostUsd = cost,
            LeaseDuration = options.Value.LeaseDuration,
        };

        var committed = await runStore.CommitStepAsync(commit, CancellationToken.None);
        if (committed is null)
        {
            run.Fenced = true;
            throw new OperationCanceledException("The run's lease was taken over by another worker.");
        }

        run.ParentCheckpointId = checkpointId;
        run.LastSequence = committed.Events[^1].Sequence;
        run.NextStep++;
        run.StepCount += commit.StepsAdded;
        LogStepCommitted(logger, run.RunId, commit.Checkpoint.Step, node);
        await PublishAsync(run, committed.Events, terminal: false);
        if (committed.CancelAction is { } action)
        {
            // The API recorded a cancel the fan-out did not deliver (e.g. this worker's queue was not yet bound).
            runningRuns.RequestCancel(run.RunId, action);
        }
    }

    private async Task FinishAsync(RunProgress run, string status, string threadStatus, JsonObject? error, CancellationToken cancellationToken)
    {
        var data = new JsonObject { ["status"] = status };
        if (error is not null)
        {
            data["error"] = error.DeepClone();
        }

        var committed = await runStore.CommitStepAsync(
            new RunStepCommit
            {
                RunId = run.RunId,
                Epoch = run.Epoch,
                Events = [(RunEventKinds.Status, data.ToJsonString())],
                FinalStatus = status,
                FinalThreadStatus = threadStatus,
                Error = error?.ToJsonString(),
            },
            cancellationToken);
        if (committed is null)
        {
            run.Fenced = true;
            return;
        }

        run.Ended = true;
        LogRunEnded(logger, run.RunId, status, run.StepCount);
        await PublishAsync(run, committed.Events, terminal: true);
    }

    private async Task CancelAsync(RunProgress run, string action)
    {
        if (action == "rollback")
        {
            // Rollback: the run, its checkpoints and its events (cascade) go, as if it never happened.
            // Checkpoints first: deleting the run would only unlink them (run_id set null). Both are fenced by the epoch.
            await using var transaction = await db.Database.BeginTransactionAsync();
            await db.Checkpoints
                .Where(c => c.RunId == run.RunId && db.Runs.Any(r => r.RunId == run.RunId && r.LeaseEpoch == run.Epoch))
                .ExecuteDeleteAsync();
            var deleted = await db.Runs.Where(r => r.RunId == run.RunId && r.LeaseEpoch == run.Epoch).ExecuteDeleteAsync();
            if (deleted == 1)
            {
                await transaction.CommitAsync();
            }
            else
            {
                await transaction.RollbackAsync();
            }

            run.Ended = deleted == 1;
            LogRunEnded(logger, run.RunId, "rolled back", run.StepCount);
            return;
        }

        await FinishAsync(run, AgentRunStatus.Interrupted, AgentThreadStatus.Idle, error: null, CancellationToken.None);
    }

    private async Task PublishAsync(RunProgress run, IReadOnlyList<RunEvent> events, bool terminal)
    {
        foreach (var e in events)
        {
            // Publishing happens after the commit: a lost publish is repaired by the relay reading run_events.
            await publisher.Publish(
                new AgentRunEventRecorded
                {
                    RunId = run.RunId,
                    ThreadId = run.ThreadId,
                    Sequence = e.Sequence,
                    Kind = e.Kind,
                    Data = e.Data,
                    IsTerminal = terminal,
                    CreatedAt = e.CreatedAt,
                },
                CancellationToken.None);
        }
    }

    private async Task StartNextQueuedRunAsync(RunProgress run, CancellationToken cancellationToken)
    {
        var next = await runStore.FindNextPendingRunAsync(run.TenantId, run.ThreadId, cancellationToken);
        if (next is { } runId)
        {
            var endpoint = await sendEndpoints.GetSendEndpoint(new Uri("queue:" + options.Value.RunQueue));
            await endpoint.Send(
                new StartAgentRun { RunId = runId, ThreadId = run.ThreadId, RequestedAt = timeProvider.GetUtcNow() },
                cancellationToken);
        }
    }

    // The tools the model is offered: config.configurable.tools of the run, else of its assistant; null means all.
    private static HashSet<string>? ToolsSetting(JsonObject kwargs, JsonNode? assistantConfig)
    {
        foreach (var candidate in new[] { kwargs["config"]?["configurable"]?["tools"], assistantConfig?["configurable"]?["tools"] })
        {
            if (candidate is JsonArray list)
            {
                return list.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var name) ? name : null)
                    .OfType<string>().ToHashSet(StringComparer.Ordinal);
            }
        }

        return null;
    }

    private static string? Setting(JsonObject kwargs, JsonNode? assistantConfig, string key)
    {
        // A run's config.configurable wins over its assistant's config.configurable (LangGraph merges them so).
        foreach (var candidate in new[] { kwargs["config"]?["configurable"]?[key], assistantConfig?["configurable"]?[key] })
        {
            if (candidate is JsonValue value && value.TryGetValue<string>(out var setting))
            {
                return setting;
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} not claimed: {Outcome}")]
    private static partial void LogNotClaimed(ILogger logger, Guid runId, RunClaimOutcome outcome);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} claimed with epoch {Epoch}, attempt {Attempt}")]
    private static partial void LogClaimed(ILogger logger, Guid runId, long epoch, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} committed step {Step} ({Node})")]
    private static partial void LogStepCommitted(ILogger logger, Guid runId, int step, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} ended {Status} after {StepCount} steps")]
    private static partial void LogRunEnded(ILogger logger, Guid runId, string status, int stepCount);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} stopped: fenced off at epoch {Epoch}")]
    private static partial void LogFenced(ILogger logger, Guid runId, long epoch);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} failed")]
    private static partial void LogRunFailed(ILogger logger, Exception exception, Guid runId);

    private sealed class RunProgress(Guid runId, string tenantId, Guid threadId, long epoch)
    {
        public Guid RunId { get; } = runId;

        public string TenantId { get; } = tenantId;

        public Guid ThreadId { get; } = threadId;

        public long Epoch { get; } = epoch;

        public Guid? ParentCheckpointId { get; set; }

        public long LastSequence { get; set; }

        public int NextStep { get; set; }

        public int StepCount { get; set; }

        public bool Fenced { get; set; }

        public bool Ended { get; set; }
    }
}
