namespace Agent.Persistence.Runs;

/// <summary>
/// Lists the LangGraph run status values, spelled as on the wire (LangGraph SDK <c>RunStatus</c>):
/// <c>pending → running → success | error | timeout | interrupted</c>.
/// </summary>
public static class AgentRunStatus
{
    /// <summary>Accepted and waiting for a worker.</summary>
    public const string Pending = "pending";

    /// <summary>Claimed by a worker that holds its lease.</summary>
    public const string Running = "running";

    /// <summary>Finished with an answer.</summary>
    public const string Success = "success";

    /// <summary>Failed; <see cref="AgentRun.Error"/> says why.</summary>
    public const string Error = "error";

    /// <summary>Exceeded its wall-time limit.</summary>
    public const string Timeout = "timeout";

    /// <summary>Cancelled; completed steps are kept.</summary>
    public const string Interrupted = "interrupted";

    /// <summary>Determines whether a status is terminal (the run will never change again).</summary>
    /// <param name="status">A status value.</param>
    /// <returns><see langword="true"/> for success, error, timeout and interrupted.</returns>
    public static bool IsTerminal(string status) => status is Success or Error or Timeout or Interrupted;
}
