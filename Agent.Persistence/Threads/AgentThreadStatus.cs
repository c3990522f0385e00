namespace Agent.Persistence.Threads;

/// <summary>
/// Lists the LangGraph thread status values, spelled as on the wire (LangGraph SDK <c>ThreadStatus</c>).
/// </summary>
public static class AgentThreadStatus
{
    /// <summary>No run is pending or running.</summary>
    public const string Idle = "idle";

    /// <summary>A run is pending or running.</summary>
    public const string Busy = "busy";

    /// <summary>The last run was interrupted.</summary>
    public const string Interrupted = "interrupted";

    /// <summary>The last run failed.</summary>
    public const string Error = "error";
}
