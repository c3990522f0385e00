using System.Text.Json.Nodes;
using Agent.Worker.Options;

namespace Agent.Worker.Runs;

/// <summary>The errors a run ends with when the loop, not a call, stops it (<c>{"error", "message"}</c>).</summary>
internal static class RunErrors
{
    /// <summary>The run was claimed more often than <see cref="AgentWorkerOptions.MaxAttempts"/>.</summary>
    /// <param name="attempt">The claim count.</param>
    /// <param name="maxAttempts">The limit.</param>
    /// <returns>The error.</returns>
    public static JsonObject AttemptLimit(int attempt, int maxAttempts) => new()
    {
        ["error"] = "AttemptLimitReached",
        ["message"] = $"The run was claimed {attempt} times, more than AgentWorker:MaxAttempts ({maxAttempts}); " +
                      "it may crash its worker every time.",
    };

    /// <summary>The assistant's budget changed since the API accepted the run and is no longer valid.</summary>
    /// <param name="reason">Why.</param>
    /// <returns>The error.</returns>
    public static JsonObject InvalidBudget(string? reason) => new() { ["error"] = "InvalidBudget", ["message"] = reason };

    /// <summary>The thread is empty and the run has no input.</summary>
    /// <returns>The error.</returns>
    public static JsonObject EmptyThread() =>
        new() { ["error"] = "InvalidInput", ["message"] = "The thread is empty and the run has no input messages." };

    /// <summary>The run's assistant names a graph this worker has not registered.</summary>
    /// <param name="graphId">The graph id.</param>
    /// <param name="known">The graphs this worker has.</param>
    /// <returns>The error.</returns>
    public static JsonObject UnknownGraph(string graphId, IReadOnlyList<string> known) => new()
    {
        ["error"] = "UnknownGraph",
        ["message"] = $"The graph '{graphId}' is not deployed on this worker (it has: {string.Join(", ", known)}).",
    };

    /// <summary>The recursion limit was reached; LangGraph's <c>GraphRecursionError</c> text, so clients recognise it.</summary>
    /// <param name="limit">The limit.</param>
    /// <returns>The error.</returns>
    public static JsonObject RecursionLimit(int limit) => new()
    {
        ["error"] = "GraphRecursionError",
        ["message"] = $"Recursion limit of {limit} reached without hitting a stop condition. " +
                      "You can increase the limit by setting the `recursion_limit` config key.",
    };

    /// <summary>The run's time limit passed.</summary>
    /// <param name="limitSeconds">The limit, in seconds.</param>
    /// <returns>The error.</returns>
    public static JsonObject Timeout(double limitSeconds) => new()
    {
        ["error"] = "RunTimeout",
        ["message"] = $"The run exceeded its time limit of {limitSeconds} s " +
                      "(AgentWorker:RunTimeoutSeconds, or the budget's max_wall_time_seconds when shorter).",
    };
}
