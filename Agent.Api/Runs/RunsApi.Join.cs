using System.Text.Json.Nodes;
using Agent.Api.Http;
using Agent.Api.Streaming;
using Agent.Persistence.Runs;

namespace Agent.Api.Runs;

/// <content>The join endpoints: wait for a run's values, or stream it (resuming from <c>Last-Event-ID</c>).</content>
internal static partial class RunsApi
{
    private static async Task<IResult> JoinAsync(string thread_id, string run_id, HttpContext http, RunQueries runs, RunFollower follower)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, runs, http.RequestAborted);
        if (error is not null)
        {
            return error;
        }

        var ended = await follower.WriteFinalValuesAsync(http, run!);
        if (!ended && CancelOnDisconnect(http.Request))
        {
            await follower.CancelIfUnfinishedAsync(run!);
        }

        return TypedResults.Empty;
    }

    private static async Task<IResult> JoinStreamAsync(
        string? thread_id, string run_id, HttpContext http, RunStreamRelay relay, RunQueries runs, RunFollower follower)
    {
        var (run, error) = await FindRunAsync(thread_id, run_id, runs, http.RequestAborted);
        if (error is not null)
        {
            return error;
        }

        // Without stream_mode a join streams the modes the run was created with (the SDKs reconnect without it).
        var (modes, modeError) = http.Request.Query["stream_mode"].Count > 0
            ? StreamModes.ParseQuery(http.Request.Query["stream_mode"].ToArray())
            : StreamModes.Parse(JsonNode.Parse(run!.Kwargs)?["stream_mode"]);
        if (modeError is not null)
        {
            return ApiResults.Unprocessable(modeError);
        }

        // Without Last-Event-ID a join sees only what happens from now on; "-1" (what useStream sends) replays all.
        var position = new RunStreamRelay.StreamPosition(run!.LastEventSequence, 0, 0, null);
        if (http.Request.Headers.TryGetValue("Last-Event-ID", out var header) && !string.IsNullOrWhiteSpace(header))
        {
            if (RunStreamRelay.ParseLastEventId(header.ToString()) is not { } parsed)
            {
                return ApiResults.Problem(StatusCodes.Status400BadRequest, "Last-Event-ID must be an event id from this stream, or -1.");
            }

            position = parsed;
        }

        RunStreamRelay.SetStreamHeaders(http.Response, run, stateless: thread_id is null);
        // stream_subgraphs is read per stream-open (LangGraph Platform); without it a join shows what the run asked for.
        var subgraphs = http.Request.Query["stream_subgraphs"].Count > 0
            ? string.Equals(http.Request.Query["stream_subgraphs"].ToString(), "true", StringComparison.OrdinalIgnoreCase)
            : RunStreamRelay.StreamsSubgraphs(run);
        var ended = await relay.StreamAsync(http.Response, run, position, modes, http.RequestAborted, subgraphs);
        if (!ended && CancelOnDisconnect(http.Request))
        {
            await follower.CancelIfUnfinishedAsync(run);
        }

        return TypedResults.Empty;
    }

    private static bool CancelOnDisconnect(HttpRequest request) =>
        request.Query["cancel_on_disconnect"].ToString() is "1" or "true" or "yes";
}
