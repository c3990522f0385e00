namespace Agent.Worker.Tools.Mcp;

/// <summary>
/// Thrown when a call cannot reach an MCP server (no session open, or the transport failed). The tool turns it into a
/// tool error for the model; the connection reconnects in the background.
/// </summary>
internal sealed class McpServerUnreachableException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="McpServerUnreachableException"/> class.</summary>
    public McpServerUnreachableException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="McpServerUnreachableException"/> class.</summary>
    /// <param name="message">What failed, written for the model.</param>
    public McpServerUnreachableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="McpServerUnreachableException"/> class.</summary>
    /// <param name="message">What failed, written for the model.</param>
    /// <param name="innerException">The transport's failure.</param>
    public McpServerUnreachableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
