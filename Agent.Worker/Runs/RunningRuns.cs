using System.Collections.Concurrent;

namespace Agent.Worker.Runs;

/// <summary>
/// Tracks the runs this process is executing, so a fanned-out <c>CancelAgentRun</c> can reach the one that owns
/// the run.
/// </summary>
internal sealed class RunningRuns
{
    private readonly ConcurrentDictionary<Guid, Entry> entries = new();

    /// <summary>Gets how many runs this process is executing now (its busy slots).</summary>
    public int Count => entries.Count;

    /// <summary>Registers a run being executed; dispose the result when it stops.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="cancellation">Cancelled when a client cancels the run.</param>
    /// <returns>The registration.</returns>
    public IDisposable Register(Guid runId, CancellationTokenSource cancellation)
    {
        entries[runId] = new Entry(cancellation);
        return new Registration(this, runId);
    }

    /// <summary>Cancels a run if this process executes it.</summary>
    /// <param name="runId">The run.</param>
    /// <param name="action"><c>interrupt</c> or <c>rollback</c>.</param>
    /// <returns>Whether the run was found here.</returns>
    public bool RequestCancel(Guid runId, string action)
    {
        if (!entries.TryGetValue(runId, out var entry))
        {
            return false;
        }

        entry.Action = action;
        entry.Cancellation.Cancel();
        return true;
    }

    /// <summary>Gets the cancel action requested for a run, or null.</summary>
    /// <param name="runId">The run.</param>
    /// <returns>The action.</returns>
    public string? CancelAction(Guid runId) => entries.TryGetValue(runId, out var entry) ? entry.Action : null;

    private sealed class Entry(CancellationTokenSource cancellation)
    {
        public CancellationTokenSource Cancellation { get; } = cancellation;

        public volatile string? Action;
    }

    private sealed class Registration(RunningRuns owner, Guid runId) : IDisposable
    {
        public void Dispose() => owner.entries.TryRemove(runId, out _);
    }
}
