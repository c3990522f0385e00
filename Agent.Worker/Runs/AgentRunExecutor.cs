using System.Text.Json.Nodes;
using Agent.Contracts.Runs;
using Agent.Persistence;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.RunEvents;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Agent.Persistence.Usage;
using Agent.Worker.Agent;
using Agent.Worker.Budgets;
using Agent.Worker.Models;
using Agent.Worker.Telemetry;
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
    StepRetries retries,
    WorkerDrain drain,
    TimeProvider timeProvider,
    ILogger<AgentRunExecutor> logger)
{
    /// <summary>How long publishing a step's live events may take before the executor moves on; the log in PostgreSQL is the truth.</summary>
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Executes (or resumes) a run until it ends, is cancelled, waits out a transient failure (parked), is handed
    /// back because this worker is stopping, or this worker loses its lease.
    /// </summary>
    /// <param name="message">The command.</param>
    /// <param name="redelivered">Whether the broker redelivered the command (its previous consumer died).</param>
    /// <param name="stoppingToken">Cancelled when the worker must stop at once (MassTransit's stop timeout).</param>
    /// <returns>A task that completes when the run no longer needs this worker.</returns>
    public async Task ExecuteAsync(StartAgentRun message, bool redelivered, CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (drain.IsDraining)
        {
            // Stopping: take no new work. The message is acked, so send the run back for another worker.
            await RequeueAsync(message.RunId, message.ThreadId, DeterministicGuid.Create($"{message.RunId}:draining"));
            return;
        }

        RunClaim claim;
        try
        {
            claim = await runStore.ClaimAsync(message.RunId, settings.InstanceId, settings.LeaseDuration, redelivered, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && TransientFailures.IsTransient(ex))
        {
            // PostgreSQL unreachable: ack rather than fault the message into the error queue; the run is still
            // pending or leased in the database, and the sweeper sends it again once the database is back.
            LogAbandoned(logger, ex, message.RunId);
            return;
        }

        if (claim.Outcome != RunClaimOutcome.Claimed)
        {
            // Not ours to run: a duplicate, a finished or deleted run, one queued behind its thread's current run
            // (which starts it when it ends), or one waiting out a retry (the sweeper sends it when due). Acking is
            // right in every case: the row is the source of truth.
            LogNotClaimed(logger, message.RunId, claim.Outcome);
            return;
        }

        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["run_id"] = message.RunId,
            ["thread_id"] = message.ThreadId,
        });
        LogClaimed(logger, message.RunId, claim.Epoch, claim.Attempt);
        RunTelemetry.RecordClaim(claim.Attempt, redelivered);

        using var runCancellation = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, drain.Abandoning);
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
                await RunStepsAsync(run, runCancellation);
            }
            catch (OperationCanceledException) when (leaseLost || run.Fenced)
            {
                LogFenced(logger, message.RunId, claim.Epoch);
                return;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested || drain.Abandoning.IsCancellationRequested)
            {
                // Shutting down and the step did not finish within the grace period: abandon it (it runs again).
                run.HandBack = true;
            }
            catch (OperationCanceledException) when (runningRuns.CancelAction(message.RunId) is { } action)
            {
                await CancelAsync(run, action);
            }
            catch (OperationCanceledException) when (run.DeadlinePassed)
            {
                var error = new JsonObject
                {
                    ["error"] = "RunTimeout",
                    ["message"] = $"The run exceeded its time limit of {run.TimeLimitSeconds} s " +
                                  "(AgentWorker:RunTimeoutSeconds, or the budget's max_wall_time_seconds when shorter).",
                };
                await FinishAsync(run, AgentRunStatus.Timeout, AgentThreadStatus.Error, error, CancellationToken.None);
            }
            catch (TransientStepException ex)
            {
                await ParkOrFailAsync(run, ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && TransientFailures.IsTransient(ex))
            {
                // PostgreSQL or RabbitMQ failed under the executor itself (not a model or tool call). Nothing can be
                // recorded now; the lease lapses and the sweeper (or the broker's redelivery) resumes the run from its
                // last committed step once the infrastructure is back.
                LogAbandoned(logger, ex, message.RunId);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRunFailed(logger, ex, message.RunId);
                var error = new JsonObject { ["error"] = ex.GetType().Name, ["message"] = ex.Message };
                await FinishAsync(run, AgentRunStatus.Error, AgentThreadStatus.Error, error, CancellationToken.None);
            }
        }

        if (run.HandBack)
        {
            await HandBackAsync(run);
            return;
        }

        if (run.Ended)
        {
            webhooks.Enqueue(message.RunId);
            await StartNextQueuedRunAsync(run, CancellationToken.None);
        }
    }

    private async Task RunStepsAsync(RunProgress run, CancellationTokenSource runCancellation)
    {
        var cancellationToken = runCancellation.Token;
        var settings = options.Value;
        var row = await db.Runs.AsNoTracking().SingleAsync(r => r.RunId == run.RunId, cancellationToken);
        run.LastSequence = row.LastEventSequence;
        run.RetryCount = row.RetryCount;

        var assistantConfig = JsonNode.Parse(await db.Assistants.AsNoTracking().Where(a => a.AssistantId == row.AssistantId)
            .Select(a => a.Config).SingleAsync(cancellationToken));
        var kwargs = JsonNode.Parse(row.Kwargs) as JsonObject ?? [];
        var model = Setting(kwargs, assistantConfig, "model");
        var toolSelectionModel = Setting(kwargs, assistantConfig, ModelRouting.ToolSelectionModelKey);
        var systemPrompt = Setting(kwargs, assistantConfig, "system_prompt");
        var (budget, budgetError) = RunBudget.Resolve(assistantConfig, kwargs["config"]);
        run.Spend = new RunSpend(row.InputTokens, row.OutputTokens, row.CostUsd);

        // The run's wall-time limit counts from its first claim, across crashes and retry waits: the worker's limit,
        // or the run's budget when that is shorter.
        run.TimeLimitSeconds = Math.Min(settings.RunTimeoutSeconds, budget?.MaxWallTimeSeconds ?? double.MaxValue);
        run.Deadline = (row.StartedAt ?? timeProvider.GetUtcNow()) + TimeSpan.FromSeconds(run.TimeLimitSeconds);
        var remaining = run.Deadline - timeProvider.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
        {
            run.DeadlinePassed = true;
            throw new OperationCanceledException("The run's time limit has passed.");
        }

        using var deadline = new CancellationTokenSource(remaining, timeProvider);
        await using var onDeadline = deadline.Token.Register(() =>
        {
            run.DeadlinePassed = true;
            runCancellation.Cancel();
        });

        if (row.Attempt > settings.MaxAttempts)
        {
            var error = new JsonObject
            {
                ["error"] = "AttemptLimitReached",
                ["message"] = $"The run was claimed {row.Attempt} times, more than AgentWorker:MaxAttempts ({settings.MaxAttempts}); " +
                              "it may crash its worker every time.",
            };
            await FinishAsync(run, AgentRunStatus.Error, AgentThreadStatus.Error, error, cancellationToken);
            return;
        }

        var tools = ToolsSetting(kwargs, assistantConfig);
        var checkpoints = await db.Checkpoints.AsNoTracking().Where(c => c.TenantId == run.TenantId && c.ThreadId == run.ThreadId)
            .OrderBy(c => c.Sequence).ToListAsync(cancellationToken);
        // The branch the run continues: its own last step when resuming; else the checkpoint it was asked to run from
        // (checkpoint_id), else the thread's head.
        var own = checkpoints.LastOrDefault(c => c.RunId == run.RunId);
        var head = own?.CheckpointId
                   ?? (kwargs["checkpoint_id"] is JsonValue fork && Guid.TryParse(fork.GetValue<string>(), out var forkId) ? forkId : (Guid?)null)
                   ?? CheckpointFold.Head(checkpoints)?.CheckpointId;
        var lineage = CheckpointFold.Lineage(checkpoints, head);
        var messages = CheckpointFold.Fold(lineage);
        // The run's own messages come last on its branch: loop detection counts only those.
        var firstOwnMessage = CheckpointFold.Fold(lineage.Where(c => c.RunId != run.RunId)).Count;
        run.ParentCheckpointId = head;
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

        if (budget is null)
        {
            // The assistant's budget changed since the API accepted the run.
            var error = new JsonObject { ["error"] = "InvalidBudget", ["message"] = budgetError };
            await FinishAsync(run, AgentRunStatus.Error, AgentThreadStatus.Error, error, cancellationToken);
            return;
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
            if (drain.IsDraining)
            {
                // A safe point: the last step is committed and the next has not started.
                run.HandBack = true;
                return;
            }

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
                var stepModel = ModelRouting.Choose(messages, model, toolSelectionModel);
                var inputPrice = prices.CostUsd(stepModel, 1_000_000, 0) / 1_000_000m;
                if (BudgetGuard.BeforeModelCall(budget, run.Spend, messages, systemPrompt ?? RetrievalAgent.DefaultSystemPrompt, inputPrice, stepModel ?? agent.DefaultModel) is { } projected)
                {
                    await StopOverBudgetAsync(run, projected, messages, firstOwnMessage, cancellationToken);
                    return;
                }

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
                    step = await retries.CallModelAsync(
                        token => agent.CallModelAsync(messages, messageId, stepModel, systemPrompt, tools, tokens.OnUpdateAsync, token),
                        cancellationToken);
                }

                delta = [step.Message];
                await CommitAsync(run, node, delta, step, toolCalls: null, cancellationToken);
                if (BudgetGuard.AfterModelCall(budget, run.Spend) is { } actual)
                {
                    CheckpointFold.Apply(messages, delta);
                    await StopOverBudgetAsync(run, actual, messages, firstOwnMessage, cancellationToken);
                    return;
                }
            }
            else
            {
                if (BudgetGuard.FindToolLoop(budget, messages.Skip(firstOwnMessage)) is { } loop)
                {
                    await StopOverBudgetAsync(run, loop, messages, firstOwnMessage, cancellationToken);
                    return;
                }

                (JsonArray results, JsonArray calls) = await agent.RunToolsAsync(
                    (JsonObject)messages[^1]!, run.RunId, run.NextStep, tools, retries.CallToolAsync, cancellationToken);
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
        decimal? priced = null;
        if (modelStep is not null)
        {
            priced = prices.CostUsd(modelStep.Model, modelStep.InputTokens, modelStep.OutputTokens);
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
            ModelCall = modelStep is null ? null : new ModelCall
            {
                Step = run.NextStep,
                Provider = modelStep.Provider,
                Model = modelStep.Model ?? "unknown",
                InputTokens = modelStep.InputTokens,
                OutputTokens = modelStep.OutputTokens,
                CachedInputTokens = modelStep.CachedInputTokens,
                LatencyMs = modelStep.LatencyMs,
                FinishReason = modelStep.FinishReason,
                CostUsd = priced,
            },
            LeaseDuration = options.Value.LeaseDuration,
        };

        var committed = await CommitAsync(run, commit, CancellationToken.None);
        if (committed is null)
        {
            run.Fenced = true;
            throw new OperationCanceledException("The run's lease was taken over by another worker.");
        }

        run.ParentCheckpointId = checkpointId;
        run.LastSequence = committed.Events[^1].Sequence;
        run.NextStep++;
        run.StepCount += commit.StepsAdded;
        run.Spend = new RunSpend(
            run.Spend.InputTokens + commit.InputTokens, run.Spend.OutputTokens + commit.OutputTokens, run.Spend.CostUsd + commit.CostUsd);
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

        var committed = await CommitAsync(
            run,
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
        await RunTelemetry.RecordEndedAsync(db, run.RunId, status);
        await PublishAsync(run, committed.Events, terminal: true);
    }

    // A budget or loop stop ends the run with its reason and what it had answered so far (the last ai text of the
    // run); the status event carries both to the stream as an `error` event.
    private async Task StopOverBudgetAsync(
        RunProgress run, BudgetViolation violation, JsonArray messages, int firstOwnMessage, CancellationToken cancellationToken)
    {
        var partialAnswer = messages.Skip(firstOwnMessage).OfType<JsonObject>()
            .LastOrDefault(m => m["type"]?.GetValue<string>() == "ai" && m["content"] is JsonValue)?["content"]?.GetValue<string>();
        LogBudgetStop(logger, run.RunId, violation.Limit, violation.Message);
        await FinishAsync(run, AgentRunStatus.Error, AgentThreadStatus.Error, violation.ToError(partialAnswer), cancellationToken);
    }

    /// <summary>
    /// A model or tool call kept failing transiently: park the run (status <c>pending</c>, lease released,
    /// <c>next_attempt_at</c> set; the sweeper sends it when due) or, past <see cref="AgentWorkerOptions.RunRetries"/>
    /// waits, end it <c>error</c> with the reason.
    /// </summary>
    private async Task ParkOrFailAsync(RunProgress run, TransientStepException failure)
    {
        var settings = options.Value;
        var inner = failure.InnerException ?? failure;
        var reason = new JsonObject
        {
            ["error"] = inner.GetType().Name,
            ["message"] = failure.Message,
            ["call"] = failure.Call,
            ["status_code"] = TransientFailures.StatusCode(inner),
        };
        if (run.RetryCount >= settings.RunRetries)
        {
            reason["message"] = $"{failure.Message} Gave up after {run.RetryCount} retry wait(s) (AgentWorker:RunRetries).";
            await FinishAsync(run, AgentRunStatus.Error, AgentThreadStatus.Error, reason, CancellationToken.None);
            return;
        }

        // Exponential from RetryWaitSeconds, with jitter (0.8-1.2x), never shorter than the provider's Retry-After.
        var backoff = settings.RetryWaitSeconds * Math.Pow(2, run.RetryCount) * (0.8 + (0.4 * Random.Shared.NextDouble()));
        var wait = TimeSpan.FromSeconds(Math.Min(backoff, settings.RetryWaitMaxSeconds));
        if (failure.RetryAfter > wait)
        {
            wait = failure.RetryAfter.Value;
        }

        var retryAt = timeProvider.GetUtcNow() + wait;
        var data = new JsonObject
        {
            ["status"] = AgentRunStatus.Pending,
            ["retry"] = run.RetryCount + 1,
            ["next_attempt_at"] = retryAt,
            ["error"] = reason.DeepClone(),
        };
        var committed = await CommitAsync(
            run,
            new RunStepCommit
            {
                RunId = run.RunId,
                Epoch = run.Epoch,
                Events = [(RunEventKinds.Status, data.ToJsonString())],
                RetryAt = retryAt,
                Error = reason.ToJsonString(),
            },
            CancellationToken.None);
        if (committed is null)
        {
            run.Fenced = true;
            return;
        }

        LogParked(logger, run.RunId, run.RetryCount + 1, wait.TotalSeconds, failure.Message);
        await PublishAsync(run, committed.Events, terminal: false);
    }

    /// <summary>Graceful shutdown: give the lease back, put the run back to pending and send it to another worker.</summary>
    private async Task HandBackAsync(RunProgress run)
    {
        bool released;
        try
        {
            using var timeout = new CancellationTokenSource(PublishTimeout, timeProvider);
            released = await runStore.ReleaseLeaseAsync(run.RunId, run.Epoch, timeout.Token);
        }
        catch (Exception ex) when (TransientFailures.IsTransient(ex) || ex is OperationCanceledException)
        {
            // The lease lapses on its own; the sweeper resumes the run then.
            LogAbandoned(logger, ex, run.RunId);
            return;
        }

        if (released)
        {
            await RequeueAsync(run.RunId, run.ThreadId, DeterministicGuid.Create($"{run.RunId}:handoff:{run.Epoch}"));
            LogHandedBack(logger, run.RunId, run.NextStep);
        }
    }

    /// <summary>Sends a run's <c>StartAgentRun</c> again; on failure the sweeper sends it later.</summary>
    private async Task RequeueAsync(Guid runId, Guid threadId, Guid messageId)
    {
        try
        {
            using var timeout = new CancellationTokenSource(PublishTimeout, timeProvider);
            var endpoint = await sendEndpoints.GetSendEndpoint(new Uri("queue:" + options.Value.RunQueue));
            await endpoint.Send(
                new StartAgentRun { RunId = runId, ThreadId = threadId, RequestedAt = timeProvider.GetUtcNow() },
                context => context.MessageId = messageId,
                timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRequeueFailed(logger, ex, runId);
        }
    }

    private async Task<CommittedStep?> CommitAsync(RunProgress run, RunStepCommit commit, CancellationToken cancellationToken)
    {
        var committed = await retries.CommitAsync(
            token => runStore.CommitStepAsync(commit, token),
            token => runStore.FindCommittedAsync(run.RunId, run.Epoch, run.LastSequence, token),
            cancellationToken);
        if (committed is not null && committed.Events.Count > 0)
        {
            run.LastSequence = committed.Events[^1].Sequence;
        }

        return committed;
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
        // Publishing happens after the commit: a lost publish is repaired by the relay reading run_events, so a
        // broker outage must not hold the run up.
        using var timeout = new CancellationTokenSource(PublishTimeout, timeProvider);
        try
        {
            foreach (var e in events)
            {
                await PublishOneAsync(run, e, terminal, timeout.Token);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogPublishFailed(logger, ex, run.RunId);
        }
    }

    private async Task PublishOneAsync(RunProgress run, RunEvent e, bool terminal, CancellationToken cancellationToken)
    {
        {
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
                cancellationToken);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} stopped by {Limit}: {Reason}")]
    private static partial void LogBudgetStop(ILogger logger, Guid runId, string limit, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} parked for retry {Retry} in {WaitSeconds} s: {Reason}")]
    private static partial void LogParked(ILogger logger, Guid runId, int retry, double waitSeconds, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} handed back at step {Step}: this worker is stopping")]
    private static partial void LogHandedBack(ILogger logger, Guid runId, int step);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} abandoned: infrastructure failure; it resumes once its lease lapses")]
    private static partial void LogAbandoned(ILogger logger, Exception exception, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} could not be requeued; the sweeper will send it")]
    private static partial void LogRequeueFailed(ILogger logger, Exception exception, Guid runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Live events of run {RunId} were not published; clients catch up from the log")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, Guid runId);

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

        public RunSpend Spend { get; set; }

        public bool Fenced { get; set; }

        public bool Ended { get; set; }

        public bool HandBack { get; set; }

        public int RetryCount { get; set; }

        public DateTimeOffset Deadline { get; set; } = DateTimeOffset.MaxValue;

        public double TimeLimitSeconds { get; set; }

        public volatile bool DeadlinePassed;
    }
}
