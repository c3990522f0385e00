using System.Text;
using Agent.Persistence.Wire;

namespace Agent.Persistence.Runs;

/// <summary>
/// The run's states and every transition between them, each named after the <see cref="RunLifecycle"/> method that
/// makes it. docs/architecture.md draws this table as a Mermaid state diagram (<see cref="ToMermaid"/>), and a test
/// fails when the two differ, so the picture cannot drift from the code.
/// </summary>
/// <remarks>
/// <see cref="None"/> stands for "no row": before a run is accepted and after it is rolled back (deleted). A run is
/// <c>running</c> while a worker holds its lease; claiming it again (a take-over after the lease expired or the broker
/// redelivered) and committing a step keep it <c>running</c> with a new epoch or a renewed lease.
/// </remarks>
public static class RunStateMachine
{
    /// <summary>The pseudo-state "no row" (null; drawn as Mermaid's <c>[*]</c>).</summary>
    public static AgentRunStatus? None => null;

    /// <summary>The transition of <see cref="RunLifecycle.AcceptAsync"/>.</summary>
    public const string Accept = nameof(RunLifecycle.AcceptAsync);

    /// <summary>The transition of <see cref="RunLifecycle.ClaimAsync"/>.</summary>
    public const string Claim = nameof(RunLifecycle.ClaimAsync);

    /// <summary>The transition of <see cref="RunLifecycle.CommitStepAsync"/>.</summary>
    public const string CommitStep = nameof(RunLifecycle.CommitStepAsync);

    /// <summary>The transition of <see cref="RunLifecycle.ParkAsync"/>: a retry wait, the lease given up.</summary>
    public const string Park = nameof(RunLifecycle.ParkAsync);

    /// <summary>The transition of <see cref="RunLifecycle.ReleaseLeaseAsync"/>: handed back at graceful shutdown.</summary>
    public const string Release = nameof(RunLifecycle.ReleaseLeaseAsync);

    /// <summary>The transition of <see cref="RunLifecycle.FinishAsync"/>.</summary>
    public const string Finish = nameof(RunLifecycle.FinishAsync);

    /// <summary>The transition of <see cref="RunLifecycle.PauseAsync"/>: the graph paused on an interrupt (the thread goes <c>interrupted</c>).</summary>
    public const string Pause = nameof(RunLifecycle.PauseAsync);

    /// <summary>The transition of <see cref="RunLifecycle.CancelAsync"/> on a pending run.</summary>
    public const string CancelPending = nameof(RunLifecycle.CancelAsync);

    /// <summary>The transition of <see cref="RunLifecycle.RollBackAsync"/>.</summary>
    public const string RollBack = nameof(RunLifecycle.RollBackAsync);

    /// <summary>The status a run is accepted in.</summary>
    public const AgentRunStatus Accepted = AgentRunStatus.Pending;

    /// <summary>Gets every transition, in the order the diagram draws them.</summary>
    public static IReadOnlyList<RunTransition> Transitions { get; } =
    [
        new(None, AgentRunStatus.Pending, Accept),
        new(AgentRunStatus.Pending, AgentRunStatus.Running, Claim),
        new(AgentRunStatus.Running, AgentRunStatus.Running, Claim),
        new(AgentRunStatus.Running, AgentRunStatus.Running, CommitStep),
        new(AgentRunStatus.Running, AgentRunStatus.Pending, Park),
        new(AgentRunStatus.Running, AgentRunStatus.Pending, Release),
        new(AgentRunStatus.Running, AgentRunStatus.Success, Finish),
        new(AgentRunStatus.Running, AgentRunStatus.Error, Finish),
        new(AgentRunStatus.Running, AgentRunStatus.Timeout, Finish),
        new(AgentRunStatus.Running, AgentRunStatus.Interrupted, Finish),
        new(AgentRunStatus.Running, AgentRunStatus.Success, Pause),
        new(AgentRunStatus.Running, None, RollBack),
        new(AgentRunStatus.Pending, AgentRunStatus.Interrupted, CancelPending),
        new(AgentRunStatus.Pending, None, CancelPending),
    ];

    /// <summary>Gets whether the table has the transition <paramref name="from"/> → <paramref name="to"/> by <paramref name="method"/>.</summary>
    /// <param name="from">The status before (or <see cref="None"/>).</param>
    /// <param name="to">The status after (or <see cref="None"/>).</param>
    /// <param name="method">The <see cref="RunLifecycle"/> method.</param>
    /// <returns>Whether it is allowed.</returns>
    public static bool Allows(AgentRunStatus? from, AgentRunStatus? to, string method) =>
        Transitions.Contains(new RunTransition(from, to, method));

    /// <summary>Gets the status a transition that has exactly one non-deleting target leads to.</summary>
    /// <param name="method">The <see cref="RunLifecycle"/> method.</param>
    /// <returns>The status (for <see cref="CancelPending"/>: <c>interrupted</c>).</returns>
    /// <exception cref="InvalidOperationException">The method leads to several statuses.</exception>
    public static AgentRunStatus To(string method) =>
        Transitions.Where(t => t.Method == method && t.To is not null).Select(t => t.To!.Value).Distinct().Single();

    /// <summary>Throws unless the table allows <paramref name="from"/> → <paramref name="to"/> by <paramref name="method"/>.</summary>
    /// <param name="from">The status before.</param>
    /// <param name="to">The status after.</param>
    /// <param name="method">The <see cref="RunLifecycle"/> method.</param>
    /// <exception cref="ArgumentException">The transition is not in <see cref="Transitions"/>.</exception>
    public static void Require(AgentRunStatus? from, AgentRunStatus? to, string method)
    {
        if (!Allows(from, to, method))
        {
            throw new ArgumentException($"A run cannot go from {Draw(from)} to {Draw(to)} by {method}.", nameof(to));
        }
    }

    /// <summary>Renders <see cref="Transitions"/> as a Mermaid <c>stateDiagram-v2</c> (without the code fence).</summary>
    /// <returns>The diagram's lines, <c>\n</c>-separated, ending in a newline.</returns>
    public static string ToMermaid()
    {
        var text = new StringBuilder("stateDiagram-v2\n");
        foreach (var group in Transitions.GroupBy(t => (t.From, t.To)))
        {
            text.Append("    ").Append(Draw(group.Key.From)).Append(" --> ").Append(Draw(group.Key.To)).Append(": ")
                .AppendJoin(", ", group.Select(t => t.Method.Replace("Async", "", StringComparison.Ordinal))).Append('\n');
        }

        return text.ToString();
    }

    private static string Draw(AgentRunStatus? status) => status is { } value ? WireName.Of(value) : "[*]";
}

/// <summary>One edge of the run's state machine.</summary>
/// <param name="From">The status before (<see cref="RunStateMachine.None"/>: no row yet).</param>
/// <param name="To">The status after (<see cref="RunStateMachine.None"/>: the row is deleted).</param>
/// <param name="Method">The <see cref="RunLifecycle"/> method that makes it.</param>
public sealed record RunTransition(AgentRunStatus? From, AgentRunStatus? To, string Method);
