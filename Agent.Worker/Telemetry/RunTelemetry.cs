using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Agent.Persistence.Runs;
using Agent.Persistence.Wire;
using Agent.Telemetry;

namespace Agent.Worker.Telemetry;

/// <summary>
/// Telemetry of a run as a whole: the <c>invoke_agent agent</c> span (GenAI agent spans, kind Internal for an
/// in-process agent) under MassTransit's consume span, so a run's model, tool and database spans share the trace the
/// API started; the run context the <c>chat</c> and <c>execute_tool</c> spans read; and the run metrics.
/// </summary>
internal static class RunTelemetry
{
    /// <summary>The agent name on <c>invoke_agent</c> spans: the graph id, <c>agent</c>.</summary>
    public const string AgentName = "agent";

    private static readonly AsyncLocal<RunScope?> CurrentScope = new();

    /// <summary>Gets the run executing on this async flow, or null outside a run.</summary>
    public static RunScope? Current => CurrentScope.Value;

    /// <summary>
    /// Starts the <c>invoke_agent</c> span of a run delivery and marks the run in flight; dispose the scope when the
    /// delivery is done. Must be called synchronously by the consumer so the span and context flow into the run.
    /// </summary>
    /// <param name="runId">The run.</param>
    /// <param name="threadId">The run's thread (<c>gen_ai.conversation.id</c>).</param>
    /// <returns>The scope.</returns>
    public static RunScope StartInvokeAgent(Guid runId, Guid threadId)
    {
        var activity = AgentTelemetry.Source.StartActivity(
            $"{GenAiAttributes.InvokeAgentOperation} {AgentName}",
            ActivityKind.Internal,
            parentContext: default,
            tags:
            [
                new(GenAiAttributes.OperationName, GenAiAttributes.InvokeAgentOperation),
                new(GenAiAttributes.AgentName, AgentName),
                new(GenAiAttributes.ConversationId, threadId.ToString()),
                new(GenAiAttributes.RunId, runId.ToString()),
            ]);
        var scope = new RunScope(runId, threadId, activity, CurrentScope.Value);
        CurrentScope.Value = scope;
        AgentMetrics.RunsInFlight.Add(1);
        return scope;
    }

    /// <summary>Counts a claim that resumed a run an earlier attempt had claimed (<c>agent.lease.takeovers</c>).</summary>
    /// <param name="attempt">The claim's attempt number (1 for the first claim).</param>
    /// <param name="redelivered">Whether the broker redelivered the command.</param>
    public static void RecordClaim(int attempt, bool redelivered)
    {
        if (attempt > 1)
        {
            AgentMetrics.LeaseTakeovers.Add(1, new KeyValuePair<string, object?>("redelivered", redelivered));
        }
    }

    /// <summary>
    /// Records a run this worker ended: <c>agent.runs.ended</c> by <c>status</c> and, for a failed run, <c>error.type</c>
    /// (the run error's <c>error</c> field, e.g. <c>GraphRecursionError</c>, the step budget), and from the run row
    /// <c>agent.run.steps</c>, <c>agent.run.cost</c> and <c>agent.run.duration</c> (submission to end). Never throws:
    /// metrics must not fail a run whose end is already committed.
    /// </summary>
    /// <param name="runs">Reads the run row.</param>
    /// <param name="runId">The run.</param>
    /// <param name="status">The terminal status.</param>
    /// <returns>A task that completes when recorded.</returns>
    public static async Task RecordEndedAsync(RunQueries runs, Guid runId, AgentRunStatus status)
    {
        var statusName = WireName.Of(status);
        if (Current?.Activity is { } activity)
        {
            activity.SetTag(GenAiAttributes.RunStatus, statusName);
            if (status is AgentRunStatus.Error or AgentRunStatus.Timeout)
            {
                activity.SetStatus(ActivityStatusCode.Error, statusName);
            }
        }

        var statusTag = new KeyValuePair<string, object?>("status", statusName);
        try
        {
            var run = await runs.FindAsync(runId, threadId: null, CancellationToken.None);
            var errorType = ErrorType(run?.Error);
            if (errorType is null)
            {
                AgentMetrics.RunsEnded.Add(1, statusTag);
            }
            else
            {
                AgentMetrics.RunsEnded.Add(1, statusTag, new KeyValuePair<string, object?>(GenAiAttributes.ErrorType, errorType));
            }

            if (run is null)
            {
                return;
            }

            AgentMetrics.RunSteps.Record(run.StepCount, statusTag);
            AgentMetrics.RunCost.Record((double)run.CostUsd, statusTag);
            if (run.EndedAt is { } ended)
            {
                AgentMetrics.RunDuration.Record((ended - run.CreatedAt).TotalSeconds, statusTag);
            }
        }
        catch (Exception)
        {
            // The run's end is committed; a database hiccup here costs a few samples, never the run.
        }
    }

    private static string? ErrorType(string? errorJson)
    {
        if (errorJson is null)
        {
            return null;
        }

        try
        {
            // Error types are class-like names (GraphRecursionError, HttpRequestException ...): a bounded label set.
            return JsonNode.Parse(errorJson)?["error"] is JsonValue value && value.TryGetValue<string>(out var type) ? type : "unknown";
        }
        catch (JsonException)
        {
            return "unknown";
        }
    }

    /// <summary>One run delivery being executed: its span and ids.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="threadId">The thread.</param>
    /// <param name="activity">The <c>invoke_agent</c> span, or null when nobody listens.</param>
    /// <param name="previous">The scope to restore on dispose.</param>
    internal sealed class RunScope(Guid runId, Guid threadId, Activity? activity, RunScope? previous) : IDisposable
    {
        /// <summary>Gets the run.</summary>
        public Guid RunId { get; } = runId;

        /// <summary>Gets the thread.</summary>
        public Guid ThreadId { get; } = threadId;

        /// <summary>Gets the <c>invoke_agent</c> span, or null.</summary>
        public Activity? Activity { get; } = activity;

        /// <inheritdoc />
        public void Dispose()
        {
            AgentMetrics.RunsInFlight.Add(-1);
            CurrentScope.Value = previous;
            Activity?.Dispose();
        }
    }
}
