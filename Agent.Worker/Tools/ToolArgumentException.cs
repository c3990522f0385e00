namespace Agent.Worker.Tools;

/// <summary>
/// Thrown by a tool when the model's arguments do not fit its schema. The loop turns it into a tool message that
/// tells the model what was wrong, instead of failing the run.
/// </summary>
internal sealed class ToolArgumentException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ToolArgumentException"/> class.</summary>
    public ToolArgumentException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ToolArgumentException"/> class.</summary>
    /// <param name="message">What is wrong with the arguments, written for the model.</param>
    public ToolArgumentException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ToolArgumentException"/> class.</summary>
    /// <param name="message">What is wrong with the arguments.</param>
    /// <param name="innerException">The parse error.</param>
    public ToolArgumentException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
