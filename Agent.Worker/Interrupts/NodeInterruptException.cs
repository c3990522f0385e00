using Agent.Persistence.Checkpoints;

namespace Agent.Worker.Interrupts;

/// <summary>
/// Thrown by <see cref="Graphs.AgentNodeContext.Interrupt"/> when a node raises an interrupt that no resume answers:
/// the step is not committed, and the run pauses on <see cref="Interrupts"/> (LangGraph's <c>GraphInterrupt</c>).
/// Let it propagate out of the node.
/// </summary>
public sealed class NodeInterruptException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="NodeInterruptException"/> class.</summary>
    public NodeInterruptException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NodeInterruptException"/> class.</summary>
    /// <param name="message">The reason.</param>
    public NodeInterruptException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NodeInterruptException"/> class.</summary>
    /// <param name="message">The reason.</param>
    /// <param name="innerException">The cause.</param>
    public NodeInterruptException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="NodeInterruptException"/> class.</summary>
    /// <param name="interrupts">The interrupts of the pause: those already resumed in this node, then the new one.</param>
    internal NodeInterruptException(IReadOnlyList<PendingInterrupt> interrupts)
        : base($"The node raised interrupt {interrupts[^1].Id}.") => Interrupts = interrupts;

    /// <summary>Gets the interrupts of the pause.</summary>
    internal IReadOnlyList<PendingInterrupt> Interrupts { get; } = [];
}
