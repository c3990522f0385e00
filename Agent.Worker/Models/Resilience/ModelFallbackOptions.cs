namespace Agent.Worker.Models.Resilience;

/// <summary>
/// The circuit breaker each model gets, and the model to fall back to when the asked-for one fails (configuration
/// section <c>Models</c>).
/// </summary>
public sealed class ModelFallbackOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Models";

    /// <summary>
    /// Gets or sets the model to call when the requested model fails transiently (429, 5xx, timeout, dropped
    /// connection) or its circuit is open; null (the default) disables fallback. Same provider endpoint.
    /// </summary>
    public string? FallbackModel { get; set; }

    /// <summary>Gets or sets the failure ratio over the sampling window that opens a model's circuit. Default 0.5.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Gets or sets the fewest calls in the window before the circuit may open. Default 3.</summary>
    public int CircuitMinimumThroughput { get; set; } = 3;

    /// <summary>Gets or sets the sampling window, in seconds. Default 30.</summary>
    public int CircuitSamplingSeconds { get; set; } = 30;

    /// <summary>Gets or sets how long an open circuit refuses calls before letting one probe through, in seconds. Default 30.</summary>
    public int CircuitBreakSeconds { get; set; } = 30;

    /// <summary>
    /// Gets or sets how often a worker re-reads the circuits the other workers opened (table
    /// <c>agent.model_circuits</c>), in milliseconds; at most one query per interval, and only while models are
    /// called. Default 1,000. A circuit one worker opens stops the others' calls within this interval.
    /// </summary>
    public int CircuitShareRefreshMs { get; set; } = 1000;

    /// <summary>
    /// Gets or sets whether circuits are shared across workers through PostgreSQL. Default true; false keeps each
    /// worker's circuits to itself.
    /// </summary>
    public bool ShareCircuits { get; set; } = true;
}
