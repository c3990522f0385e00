namespace Agent.Worker.Tools;

/// <summary>
/// Thrown when a tool failed in a way the model should hear about (an <c>AddAgentTool</c> function threw); the tool
/// node turns it into a <c>tool</c> message with <c>status</c> <c>error</c> instead of failing the run.
/// </summary>
internal sealed class ToolFailedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ToolFailedException"/> class.</summary>
    public ToolFailedException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ToolFailedException"/> class.</summary>
    /// <param name="message">What went wrong, written for the model.</param>
    public ToolFailedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ToolFailedException"/> class.</summary>
    /// <param name="message">What went wrong, written for the model.</param>
    /// <param name="innerException">The tool's exception.</param>
    public ToolFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
