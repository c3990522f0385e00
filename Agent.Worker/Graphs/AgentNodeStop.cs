using Agent.Worker.Budgets;

namespace Agent.Worker.Graphs;

/// <summary>
/// Thrown by <see cref="AgentNodeContext"/> when a budget or loop rule forbids the call a node is about to make; the
/// compiled graph turns it into a stop (the run ends <c>error</c> with the rule, nothing of the step is committed).
/// </summary>
internal sealed class AgentNodeStop : Exception
{
    /// <summary>Initializes a new instance of the <see cref="AgentNodeStop"/> class.</summary>
    public AgentNodeStop()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AgentNodeStop"/> class.</summary>
    /// <param name="message">The reason.</param>
    public AgentNodeStop(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AgentNodeStop"/> class.</summary>
    /// <param name="message">The reason.</param>
    /// <param name="innerException">The cause.</param>
    public AgentNodeStop(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="AgentNodeStop"/> class.</summary>
    /// <param name="violation">The rule that stopped the node.</param>
    public AgentNodeStop(BudgetViolation violation)
        : base(violation.Message) => Violation = violation;

    /// <summary>Gets the rule that stopped the node.</summary>
    public BudgetViolation? Violation { get; }
}
