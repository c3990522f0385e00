namespace Agent.Api.Http;

/// <summary>
/// Marks a field that the LangGraph Server API defines and this server does not implement: <see cref="WireBody"/>
/// refuses any value but null with <c>"{field} is not supported by this server yet."</c>, rather than ignoring it.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class WireUnsupportedAttribute : Attribute;
