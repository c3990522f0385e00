namespace Agent.Worker.Runs;

/// <summary>
/// Thrown when a model or tool call still fails transiently after its in-step retries (or when the provider asks to
/// wait longer than an in-step delay may be): the run should wait (park) and try the step again later.
/// </summary>
internal sealed class TransientStepException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="TransientStepException"/> class.</summary>
    /// <param name="call">What failed: <c>model</c> or <c>tool</c>.</param>
    /// <param name="attempts">How many attempts were made inside the step.</param>
    /// <param name="retryAfter">The wait the provider asked for, if any.</param>
    /// <param name="innerException">The last failure.</param>
    public TransientStepException(string call, int attempts, TimeSpan? retryAfter, Exception innerException)
        : base($"The {call} call failed transiently {attempts} time(s): {innerException.Message}", innerException)
    {
        Call = call;
        Attempts = attempts;
        RetryAfter = retryAfter;
    }

    /// <summary>Initializes a new instance of the <see cref="TransientStepException"/> class.</summary>
    public TransientStepException()
        : this("A call failed transiently.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="TransientStepException"/> class.</summary>
    /// <param name="message">The message.</param>
    public TransientStepException(string message)
        : base(message)
    {
        Call = "model";
    }

    /// <summary>Initializes a new instance of the <see cref="TransientStepException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The last failure.</param>
    public TransientStepException(string message, Exception innerException)
        : base(message, innerException)
    {
        Call = "model";
    }

    /// <summary>Gets what failed: <c>model</c> or <c>tool</c>.</summary>
    public string Call { get; }

    /// <summary>Gets how many attempts were made inside the step.</summary>
    public int Attempts { get; }

    /// <summary>Gets the wait the provider asked for (<c>Retry-After</c>), if any.</summary>
    public TimeSpan? RetryAfter { get; }
}
