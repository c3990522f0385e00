using System.Text.Json.Serialization;
using Agent.Persistence.Wire;

namespace Agent.Persistence.Runs;

/// <summary>
/// The LangGraph run status (LangGraph SDK <c>RunStatus</c>): <c>pending → running → success | error | timeout |
/// interrupted</c>. Spelled in lower case on the wire and in the <c>runs.status</c> column (<see cref="WireName"/> reads
/// and writes the spelling), so raw SQL, the partial indexes and the webhook trigger compare the same text.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<AgentRunStatus>))]
public enum AgentRunStatus
{
    /// <summary>Accepted and waiting for a worker. The default.</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>Claimed by a worker that holds its lease.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Finished with an answer.</summary>
    [JsonStringEnumMemberName("success")]
    Success,

    /// <summary>Failed; <see cref="AgentRun.Error"/> says why.</summary>
    [JsonStringEnumMemberName("error")]
    Error,

    /// <summary>Exceeded its wall-time limit.</summary>
    [JsonStringEnumMemberName("timeout")]
    Timeout,

    /// <summary>Cancelled; completed steps are kept.</summary>
    [JsonStringEnumMemberName("interrupted")]
    Interrupted,
}
