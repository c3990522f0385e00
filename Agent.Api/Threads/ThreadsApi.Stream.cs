using Agent.Api.Http;
using Agent.Api.Streaming;
using Agent.Persistence.Threads;

namespace Agent.Api.Threads;

/// <content>The thread-level join stream.</content>
internal static partial class ThreadsApi
{
    /// <summary>The thread stream modes served: <c>run_modes</c> (each run's own events), the default.</summary>
    private const string RunModes = "run_modes";

    private static async Task<IResult> JoinThreadStreamAsync(
        string thread_id, HttpContext http, ThreadStore threads, ThreadStreamRelay relay)
    {
        var (thread, error) = await FindAsync(thread_id, threads, http.RequestAborted);
        if (error is not null)
        {
            return error;
        }

        // LangGraph's thread stream modes are run_modes, lifecycle and state_update; only the first is served.
        var modes = http.Request.Query["stream_mode"].SelectMany(m => (m ?? string.Empty).Split(',')).Where(m => m.Length > 0).ToList();
        if (modes.FirstOrDefault(m => m != RunModes) is { } unsupported)
        {
            return ApiResults.Unprocessable(
                $"stream_mode '{ApiRequest.Truncate(unsupported)}' of a thread stream is not supported: this server streams run_modes (each run's events).");
        }

        await relay.StreamAsync(http.Response, thread!.ThreadId, http.RequestAborted);
        return Results.Empty;
    }
}
