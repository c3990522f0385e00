namespace Agent.Api.Http;

/// <summary>
/// Marks a field that the LangGraph Server API defines and this server does not implement: <see cref="WireBody"/>
/// refuses any value but null with <see cref="Error"/>, rather than ignoring it.
/// </summary>
/// <param name="error">The 422 detail. Default is <c>"{field} is not supported by this server yet."</c>.</param>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class WireUnsupportedAttribute(string? error = null) : Attribute
{
    /// <summary>Gets the 422 detail, or null for <c>"{field} is not supported by this server yet."</c>.</summary>
    public string? Error { get; } = error;
}
