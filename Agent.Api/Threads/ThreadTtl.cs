using System.Text.Json.Nodes;

namespace Agent.Api.Threads;

/// <summary>
/// Reads a thread's <c>ttl</c> (LangGraph <c>ThreadCreate.ttl</c> / <c>ThreadPatch.ttl</c>): <c>{"ttl": minutes,
/// "strategy": "delete"}</c>, or a bare number of minutes (what the JS SDK turns into that object). The thread is deleted
/// once idle that long; <c>delete</c> is the only strategy.
/// </summary>
internal static class ThreadTtl
{
    /// <summary>The longest ttl accepted: 10 years, in minutes (5,256,000).</summary>
    public const int MaxMinutes = 10 * 365 * 24 * 60;

    /// <summary>The 422 detail of a ttl that is not one.</summary>
    public const string Error = "ttl must be {\"ttl\": minutes from 1 to 5256000, \"strategy\": \"delete\"} or a number of minutes.";

    /// <summary>Reads the field.</summary>
    /// <param name="node">The value, or null.</param>
    /// <returns>The minutes (null when absent), or the 422 detail.</returns>
    public static (int? Minutes, string? Error) Read(JsonNode? node)
    {
        var (minutes, strategy) = node switch
        {
            null => (null, null),
            JsonValue bare => (bare, (JsonNode?)null),
            JsonObject o when o.All(p => p.Key is "ttl" or "strategy") => (o["ttl"], o["strategy"]),
            _ => (JsonValue.Create("invalid"), null),
        };
        if (node is null)
        {
            return (null, null);
        }

        if (strategy is not null && (strategy is not JsonValue s || !s.TryGetValue<string>(out var name) || name != "delete"))
        {
            return (null, "ttl.strategy must be \"delete\": the only strategy this server has.");
        }

        return minutes is JsonValue v && v.TryGetValue<double>(out var value) && value >= 1 && value <= MaxMinutes && value == Math.Floor(value)
            ? ((int)value, null)
            : (null, Error);
    }
}
