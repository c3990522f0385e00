using System.Globalization;

namespace Agent.Api.Streaming;

/// <summary>
/// The SSE event ids of a run's stream, and where a <c>Last-Event-ID</c> puts a reconnecting client. Every event
/// has its own id, so a client that reconnects with any of them gets exactly the events after it:
/// <list type="bullet">
/// <item><c>0</c>: the <c>metadata</c> event of a stream that starts from the beginning.</item>
/// <item><c>N</c>: the last event rendered from stored event <c>N</c> (the client has all of it). A bare <c>N</c>
/// from a client also means that, and <c>-1</c> means "nothing yet" (what <c>useStream</c> sends).</item>
/// <item><c>N:s</c>: an earlier event of stored event <c>N</c>, with <c>s</c> its slot in
/// <see cref="RunEventRenderer"/>'s fixed order of the step's candidate events. A slot is counted even when its
/// event is not sent, so the numbering is the same on every connection.</item>
/// <item><c>N:s.c.t</c>: as <c>N:s</c>, for a step whose model message the client had <c>c</c> content characters and
/// <c>t</c> tool calls of from its token stream; the rest of that message is all a reconnect sends.</item>
/// <item><c>N.c.t</c> (and <c>N.c.t.k</c> for the <c>k</c>-th of several events rendered from one token delta): a token
/// event after stored event <c>N</c>, the client having <c>c</c> characters and <c>t</c> tool calls of the message
/// that is streaming.</item>
/// </list>
/// </summary>
internal static class StreamEventId
{
    /// <summary>Gets the id of the <c>metadata</c> event of a stream that starts from nothing.</summary>
    public const string Start = "0";

    /// <summary>Formats the id of a committed step's event.</summary>
    /// <param name="sequence">The stored event's sequence.</param>
    /// <param name="slot">The event's slot in the step's rendering.</param>
    /// <param name="last">Whether it is the last event sent for the step (its id is then the bare sequence).</param>
    /// <param name="streamed">What the client had of the step's model message from its token stream, or null.</param>
    /// <returns>The id.</returns>
    public static string Committed(long sequence, int slot, bool last, (int Characters, int ToolCalls)? streamed)
    {
        var id = sequence.ToString(CultureInfo.InvariantCulture);
        if (last)
        {
            return id;
        }

        id += ":" + slot.ToString(CultureInfo.InvariantCulture);
        return streamed is { } s ? id + FormattableString.Invariant($".{s.Characters}.{s.ToolCalls}") : id;
    }

    /// <summary>Formats the id of a token event.</summary>
    /// <param name="afterSequence">The last stored event before the token.</param>
    /// <param name="characters">Content characters the client has of the streaming message.</param>
    /// <param name="toolCalls">Tool calls the client has of it.</param>
    /// <param name="index">The event's index among the events of one delta, or null for the delta's last event.</param>
    /// <returns>The id.</returns>
    public static string Token(long afterSequence, int characters, int toolCalls, int? index) =>
        FormattableString.Invariant($"{afterSequence}.{characters}.{toolCalls}") + (index is { } k ? FormattableString.Invariant($".{k}") : string.Empty);

    /// <summary>Reads a <c>Last-Event-ID</c>.</summary>
    /// <param name="header">The header value.</param>
    /// <returns>The client's position, or null when the value is not one of this server's ids.</returns>
    public static RunStreamRelay.StreamPosition? Parse(string header)
    {
        var text = header.Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            // N:s or N:s.c.t: the client has stored events before N, and slots 0..s of N.
            var rest = text[(colon + 1)..].Split('.');
            if (!TryReadCount(text[..colon], out var stepSequence) || stepSequence < 1 || !TryReadCount(rest[0], out var slot)
                || slot > int.MaxValue || rest.Length is not (1 or 3))
            {
                return null;
            }

            var (c, t) = (0L, 0L);
            if (rest.Length == 3 && !(TryReadCount(rest[1], out c) && TryReadCount(rest[2], out t) && c <= int.MaxValue && t <= int.MaxValue))
            {
                return null;
            }

            return new RunStreamRelay.StreamPosition(stepSequence - 1, (int)c, (int)t, text) { Slot = (int)slot };
        }

        var parts = text.Split('.');
        if (parts.Length == 1)
        {
            return text == "-1" ? new RunStreamRelay.StreamPosition(0, 0, 0, text)
                : TryReadCount(parts[0], out var all) ? new RunStreamRelay.StreamPosition(all, 0, 0, text) : null;
        }

        // N.c.t, or N.c.t.k: after stored event N, part of the streaming message.
        return parts.Length is 3 or 4 && TryReadCount(parts[0], out var sequence) && TryReadCount(parts[1], out var characters)
               && TryReadCount(parts[2], out var toolCalls) && (parts.Length == 3 || TryReadCount(parts[3], out _))
               && characters <= int.MaxValue && toolCalls <= int.MaxValue
            ? new RunStreamRelay.StreamPosition(sequence, (int)characters, (int)toolCalls, text)
            : null;
    }

    private static bool TryReadCount(string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
