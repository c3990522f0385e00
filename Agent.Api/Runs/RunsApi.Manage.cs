using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Runs;
using Agent.Persistence.Threads;
using Agent.Persistence.Wire;

namespace Agent.Api.Runs;

/// <content>The endpoints that list, read, cancel, delete and batch-create runs.</content>
internal static partial class RunsApi
{
    private static async Task<IResult> ListAsync(
        string thread_id, HttpRequest request, ThreadStore threads, RunQueries runs, CancellationToken cancellationToken)
    {
        var (threadId, error) = LangGraphErrors.ParsePathId(thread_id, "thread");
        if (error is not null)
        {
            return error;
        }

        var (limit, limitError) = ApiRequest.QueryInt(request, "limit", 10, 1, 1000);
        var (offset, offsetError) = ApiRequest.QueryInt(request, "offset", 0, 0, int.MaxValue);
        if ((limitError ?? offsetError) is { } queryError)
        {
            return queryError;
        }

        if (!await threads.ExistsAsync(threadId, cancellationToken))
        {
            return LangGraphErrors.NotFound;
        }

        var status = request.Query["status"].ToString() is { Length: > 0 } s ? s : null;

        // select: the fields to return, as repeated parameters or a JSON list (what the JS SDK sends).
        var select = new List<string>();
        foreach (var value in request.Query["select"])
        {
            if (value is null)
            {
                continue;
            }

            try
            {
                select.AddRange(value.StartsWith('[') ? JsonNode.Parse(value)!.AsArray().Select(f => f!.GetValue<string>()) : value.Split(','));
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
            {
                return ApiResults.Unprocessable("select must be field names or a JSON list of them.");
            }
        }

        // A status no run can have matches none (LangGraph answers an empty page, not a 422).
        var page = status is null ? await runs.ListAsync(threadId, status: null, offset, limit, cancellationToken)
            : WireName.TryParse<AgentRunStatus>(status, out var wanted) ? await runs.ListAsync(threadId, wanted, offset, limit, cancellationToken)
            : [];
        var items = page.Select(RunJson.From).ToList();
        var unknown = select.FirstOrDefault(f => items.Count > 0 && !items[0].ContainsKey(f));
        if (unknown is not null)
        {
            return ApiResults.Unprocessable($"select names an unknown run field '{ApiRequest.Truncate(unknown)}'.");
        }

        return ApiResults.Json(new JsonArray(items.Select(item => (JsonNode)(select.Count == 0
            ? item
            : new JsonObject(select.Select(f => KeyValuePair.Create(f, item[f]?.DeepClone()))))).ToArray()));
    }

    private static async Task<IResult> GetAsync(string thread_id, string run_id, RunQueries runs, CancellationToken cancellationToken)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, runs, cancellationToken);
        return error ?? ApiResults.Json(RunJson.From(run!));
    }

    private static async Task<IResult> CancelAsync(
        string thread_id, string run_id, HttpRequest request, RunCanceller canceller, RunWaiter waiter, RunQueries runs,
        CancellationToken cancellationToken)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, runs, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (action, actionError) = ReadCancelAction(request);
        if (actionError is not null)
        {
            return actionError;
        }

        if (AgentRunStatus.IsTerminal(run!.Status))
        {
            return ApiResults.Problem(StatusCodes.Status409Conflict, $"Run {run.RunId} has already ended ({WireName.Of(run.Status)}).");
        }

        await canceller.CancelAsync(run, action, CancellationToken.None);
        var wait = request.Query["wait"].ToString() is "1" or "true" or "yes";
        if (!wait)
        {
            return TypedResults.Accepted((string?)null);
        }

        var ended = await waiter.WaitAsync(run, onQuietInterval: null, cancellationToken);
        return ended is null ? TypedResults.NoContent() : ApiResults.Json(RunJson.From(ended));
    }

    /// <summary>Reads the <c>action</c> query parameter of a cancel: <c>interrupt</c> (the default) or <c>rollback</c>.</summary>
    private static (CancelAction Action, IResult? Error) ReadCancelAction(HttpRequest request)
    {
        var text = request.Query["action"].ToString();
        return text.Length == 0 ? (CancelAction.Interrupt, null)
            : WireName.TryParse<CancelAction>(text, out var action) ? (action, null)
            : (CancelAction.Interrupt, ApiResults.Unprocessable("action must be 'interrupt' or 'rollback'."));
    }

    private static async Task<(AgentRun? Run, IResult? Error)> FindRunAsync(
        string? threadIdText, string runIdText, RunQueries runs, CancellationToken cancellationToken)
    {
        Guid? threadId = null;
        if (threadIdText is not null)
        {
            var (id, threadError) = LangGraphErrors.ParsePathId(threadIdText, "thread");
            if (threadError is not null)
            {
                return (null, threadError);
            }

            threadId = id;
        }

        var (runId, runError) = LangGraphErrors.ParsePathId(runIdText, "run");
        if (runError is not null)
        {
            return (null, runError);
        }

        var run = await runs.FindAsync(runId, threadId, cancellationToken);
        return run is null
            ? (null, LangGraphErrors.NotFound)
            : (run, null);
    }

    private static async Task<IResult> DeleteAsync(string thread_id, string run_id, RunQueries runs, CancellationToken cancellationToken)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, runs, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        if (!AgentRunStatus.IsTerminal(run!.Status))
        {
            return ApiResults.Problem(StatusCodes.Status409Conflict, $"Run {run.RunId} is {WireName.Of(run.Status)}; cancel it before deleting it.");
        }

        await runs.DeleteAsync(run.RunId, cancellationToken);
        return TypedResults.NoContent();
    }
}
