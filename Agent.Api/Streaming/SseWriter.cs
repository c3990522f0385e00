using System.Text;

namespace Agent.Api.Streaming;

/// <summary>
/// Writes Server-Sent Events the way LangGraph Server frames them (reference/langgraph-server-api.md section 3.1):
/// <c>event: NAME</c>, one <c>data: JSON</c> line, <c>id: N</c>, then a blank line; comments as <c>: text</c>.
/// Every write is flushed, so each event leaves the server as soon as it is written.
/// </summary>
/// <param name="body">The response body.</param>
internal sealed class SseWriter(Stream body)
{
    /// <summary>Writes and flushes one event.</summary>
    /// <param name="eventName">The event name, e.g. <c>values</c>.</param>
    /// <param name="json">The data: single-line JSON (the SDKs <c>JSON.parse</c> it).</param>
    /// <param name="id">The event id (the run event sequence), or null.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the event is flushed.</returns>
    public async Task WriteEventAsync(string eventName, string json, string? id, CancellationToken cancellationToken)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(Format(eventName, json, id)), cancellationToken);
        await body.FlushAsync(cancellationToken);
    }

    /// <summary>Writes and flushes a comment line, e.g. the <c>heartbeat</c> sent every 5 s.</summary>
    /// <param name="comment">The comment text.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the comment is flushed.</returns>
    public async Task WriteCommentAsync(string comment, CancellationToken cancellationToken)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes($": {Sanitize(comment)}\n\n"), cancellationToken);
        await body.FlushAsync(cancellationToken);
    }

    /// <summary>Formats one event. Line breaks inside the data become separate <c>data:</c> lines, per the SSE spec.</summary>
    /// <param name="eventName">The event name.</param>
    /// <param name="data">The data.</param>
    /// <param name="id">The id, or null.</param>
    /// <returns>The event's text, ending with the blank line that dispatches it.</returns>
    public static string Format(string eventName, string data, string? id)
    {
        var text = new StringBuilder();
        text.Append("event: ").Append(Sanitize(eventName)).Append('\n');
        foreach (var line in data.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            text.Append("data: ").Append(line.Replace("\r", string.Empty, StringComparison.Ordinal)).Append('\n');
        }

        if (id is not null)
        {
            text.Append("id: ").Append(Sanitize(id)).Append('\n');
        }

        return text.Append('\n').ToString();
    }

    private static string Sanitize(string field) =>
        field.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal);
}
