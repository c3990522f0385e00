namespace Agent.Persistence.Runs;

/// <summary>Adds the terminal-status test to <see cref="AgentRunStatus"/>.</summary>
public static class AgentRunStatusExtensions
{
    extension(AgentRunStatus)
    {
        /// <summary>Determines whether a status is terminal (the run will never change again).</summary>
        /// <param name="status">A status value.</param>
        /// <returns><see langword="true"/> for success, error, timeout and interrupted.</returns>
        public static bool IsTerminal(AgentRunStatus status) =>
            status is AgentRunStatus.Success or AgentRunStatus.Error or AgentRunStatus.Timeout or AgentRunStatus.Interrupted;
    }
}
