namespace Agent.Api.Streaming;

/// <summary>One SSE event rendered from a stored run event.</summary>
/// <param name="Event">The event name, e.g. <c>values</c>.</param>
/// <param name="Data">Single-line JSON data.</param>
/// <param name="Slot">Its position among the stored event's candidate events, the same on every connection.</param>
internal sealed record RenderedEvent(string Event, string Data, int Slot);
