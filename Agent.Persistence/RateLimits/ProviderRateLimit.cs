namespace Agent.Persistence.RateLimits;

/// <summary>
/// The shared state of one provider rate limit (table <c>agent.provider_rate_limits</c>): the theoretical arrival
/// times of the generic cell rate algorithm (GCRA) for requests and for tokens, one row per provider and model.
/// </summary>
/// <remarks>
/// GCRA keeps one timestamp per limit instead of a window of counters: a call is allowed when the limit's
/// theoretical arrival time (TAT) is not ahead of now by more than the burst tolerance, and each allowed call pushes
/// the TAT forward by its cost (one emission interval per request, or per token). See ITU-T I.371 and
/// https://en.wikipedia.org/wiki/Generic_cell_rate_algorithm. Every worker updates the same row, so the limit holds
/// across processes.
/// </remarks>
public sealed class ProviderRateLimit
{
    /// <summary>Gets or sets the limit's key: <c>{provider}:{model}</c>, e.g. <c>openai:gpt-4o-mini</c>.</summary>
    public required string Key { get; set; }

    /// <summary>Gets or sets the theoretical arrival time of the next request (UTC).</summary>
    public DateTimeOffset RequestsTat { get; set; }

    /// <summary>Gets or sets the theoretical arrival time of the next token (UTC).</summary>
    public DateTimeOffset TokensTat { get; set; }
}
