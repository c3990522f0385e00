using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Persistence.Runs;

namespace Agent.Api.Runs;

/// <content>The endpoints that act on several runs at once: batch creation and bulk cancellation.</content>
internal static partial class RunsApi
{

    private static async Task<IResult> BatchAsync(HttpContext http, RunSubmitter submitter)
    {
        JsonArray? payloads;
        try
        {
            payloads = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonArray;
        }
        catch (System.Text.Json.JsonException ex)
        {
            return ApiResults.Problem(StatusCodes.Status400BadRequest, "The request body is not valid JSON: " + ex.Message);
        }

        if (payloads is null)
        {
            return ApiResults.Unprocessable("The request body must be a list of run payloads.");
        }

        if (payloads.Count > MaxBatch)
        {
            return ApiResults.Unprocessable($"A batch holds at most {MaxBatch} runs; got {payloads.Count}.");
        }

        // Every payload is validated before any run is created, so a bad one creates none.
        var requests = new List<RunRequest>(payloads.Count);
        for (var i = 0; i < payloads.Count; i++)
        {
            if (payloads[i] is not JsonObject payload)
            {
                return ApiResults.Unprocessable($"[{i}] must be a run payload object.");
            }

            var (request, invalid) = RunRequest.Parse(payload, stateless: true);
            if (invalid is not null)
            {
                return ApiResults.Unprocessable($"[{i}]: {invalid}");
            }

            requests.Add(request!);
        }

        var runs = new JsonArray();
        foreach (var request in requests)
        {
            var (run, error) = await submitter.SubmitAsync(null, request, idempotencyKey: null, CancellationToken.None);
            if (error is not null)
            {
                return error;
            }

            runs.Add(RunJson.From(run!));
        }

        return ApiResults.Json(runs);
    }

    /// <summary>
    /// Cancels runs (<c>POST /runs/cancel?action=</c>): the <c>run_ids</c> given (of <c>thread_id</c> when given), or
    /// every unfinished run of <c>thread_id</c>, or every run of the tenant with <c>status</c> (<c>pending</c>,
    /// <c>running</c> or <c>all</c>). Finished runs among <c>run_ids</c> are left as they are.
    /// </summary>
    private static async Task<IResult> CancelManyAsync(HttpRequest request, RunCanceller canceller, RunQueries runs, CancellationToken cancellationToken)
    {
        var (body, error) = await ApiRequest.ReadObjectAsync(request, cancellationToken);
        if (error is not null)
        {
            return error;
        }

        var (action, actionError) = ReadCancelAction(request);
        if (actionError is not null)
        {
            return actionError;
        }

        var (wire, invalid) = WireBody.Read(body!, RunsJsonContext.Default.RunCancelBody);
        if (invalid is not null)
        {
            return ApiResults.Unprocessable(invalid);
        }

        Guid? threadId = null;
        if (wire!.ThreadId is { } threadText)
        {
            var (id, threadError) = ApiRequest.ParseId(threadText, "thread_id");
            if (threadError is not null)
            {
                return threadError;
            }

            threadId = id;
        }

        List<Guid>? runIds = null;
        if (wire.RunIds is not null)
        {
            runIds = [];
            foreach (var text in wire.RunIds)
            {
                var (id, idError) = ApiRequest.ParseId(text, "run_ids");
                if (idError is not null)
                {
                    return idError;
                }

                runIds.Add(id);
            }
        }

        // "all" is every unfinished run: no status filter.
        var statusGiven = wire.Status is not null;
        AgentRunStatus? status = wire.Status switch
        {
            RunCancelStatus.Pending => AgentRunStatus.Pending,
            RunCancelStatus.Running => AgentRunStatus.Running,
            _ => null,
        };

        if (threadId is null && runIds is null && !statusGiven)
        {
            return ApiResults.Unprocessable("Name the runs to cancel: run_ids, thread_id or status.");
        }

        foreach (var run in await runs.UnfinishedAsync(threadId, runIds, status, cancellationToken))
        {
            await canceller.CancelAsync(run, action, CancellationToken.None);
        }

        return TypedResults.NoContent();
    }
}
