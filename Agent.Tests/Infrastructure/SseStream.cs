using System.Text;

namespace Agent.Tests.Infrastructure;

/// <summary>
/// One frame read off an SSE stream: an event (name, data, id) or a comment such as <c>: heartbeat</c>.
/// </summary>
/// <param name="Event">The event name, or null for a comment.</param>
/// <param name="Data">The data lines joined with newlines.</param>
/// <param name="Id">The event id, or null.</param>
/// <param name="Comment">The comment text, or null for an event.</param>
internal sealed record SseFrame(string? Event, string Data, string? Id, string? Comment);

/// <summary>
/// Reads the raw frames of an SSE response, comments included, independently of the server's own writer (per the
/// WHATWG SSE parsing rules: field lines, a blank line dispatches).
/// </summary>
internal static class SseStream
{
    /// <summary>Reads frames until the server closes the stream.</summary>
    /// <param name="response">A response with headers read.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The frames, in order.</returns>
    public static async IAsyncEnumerable<SseFrame> ReadAsync(
        HttpResponseMessage response, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        string? name = null;
        string? id = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (name is not null || data.Count > 0)
                {
                    yield return new SseFrame(name ?? "message", string.Join('\n', data), id, null);
                }

                name = null;
                id = null;
                data.Clear();
                continue;
            }

            if (line.StartsWith(':'))
            {
                yield return new SseFrame(null, string.Empty, null, line[1..].Trim());
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? string.Empty : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "event":
                    name = value;
                    break;
                case "data":
                    data.Add(value);
                    break;
                case "id":
                    id = value;
                    break;
                default:
                    break;
            }
        }
    }
}
