using System.Text;
using System.Text.Json.Nodes;
using Agent.Persistence.Checkpoints;
using Agent.Persistence.Runs;

namespace Agent.Api.Runs;

/// <summary>
/// Follows a run for the request that created or joined it: waits for it and writes the thread's final values
/// (<c>/wait</c>, <c>/join</c>), cancels it when the client left early, and deletes a stateless run's thread.
/// </summary>
/// <param name="waiter">Waits for the run to end.</param>
/// <param name="canceller">Cancels runs.</param>
/// <param name="runs">Reads runs.</param>
/// <param name="checkpoints">Reads the thread's checkpoints.</param>
/// <param name="lifecycle">Deletes the thread.</param>
internal sealed class RunFollower(
    RunWaiter waiter, RunCanceller canceller, RunQueries runs, CheckpointQueries checkpoints, RunLifecycle lifecycle)
{
    /// <summary>
    /// Waits for the run and writes the thread's final values (or <c>{"__error__": ...}</c>, or <c>{"__interrupt__":
    /// [{value, id}]}</c> when the thread paused on interrupts), sending a newline
    /// every quiet heartbeat interval to keep proxies from closing the connection (leading whitespace is valid JSON).
    /// </summary>
    /// <param name="http">The request, whose response is written.</param>
    /// <param name="run">The run, found through the request's tenant-scoped context.</param>
    /// <returns>True when the run ended and the values were written; false when the client left first.</returns>
    public async Task<bool> WriteFinalValuesAsync(HttpContext http, AgentRun run)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        AgentRun? ended;
        try
        {
            ended = await waiter.WaitAsync(
                run,
                async () =>
                {
                    await response.Body.WriteAsync("\n"u8.ToArray(), http.RequestAborted);
                    await response.Body.FlushAsync(http.RequestAborted);
                },
                http.RequestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException && http.RequestAborted.IsCancellationRequested)
        {
            return false;
        }

        JsonNode result;
        if (ended?.Error is { } runError && ended.Status is AgentRunStatus.Error or AgentRunStatus.Timeout)
        {
            result = new JsonObject { ["__error__"] = JsonNode.Parse(runError) };
        }
        else
        {
            var all = await checkpoints.LoadAsync(run.ThreadId, http.RequestAborted);
            // A thread paused on interrupts answers with them instead of its values (LangGraph's wait body).
            result = CheckpointFold.Head(all) is { Interrupts: { } paused }
                ? new JsonObject { ["__interrupt__"] = new JsonArray([.. PendingInterrupt.Parse(paused).Where(i => i.IsWaiting).Select(i => (JsonNode)i.ToWire())]) }
                : CheckpointFold.FoldHeadValues(all);
        }

        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(result.ToJsonString()), http.RequestAborted);
        return true;
    }

    /// <summary>Cancels a run whose client left before it ended (with <c>interrupt</c>), unless it ended meanwhile.</summary>
    /// <param name="run">The run.</param>
    /// <returns>A task that completes when the cancellation is recorded.</returns>
    public async Task CancelIfUnfinishedAsync(AgentRun run)
    {
        var current = await runs.FindAsync(run.RunId, threadId: null, CancellationToken.None);
        if (current is not null && !AgentRunStatus.IsTerminal(current.Status))
        {
            await canceller.CancelAsync(current, CancelAction.Interrupt, CancellationToken.None);
        }
    }

    /// <summary>Deletes a finished stateless run's thread (<c>on_completion=delete</c>).</summary>
    /// <param name="run">The run.</param>
    /// <returns>A task that completes when the thread is gone.</returns>
    public Task DeleteThreadAsync(AgentRun run) => lifecycle.DeleteThreadAsync(run.ThreadId, CancellationToken.None);
}
