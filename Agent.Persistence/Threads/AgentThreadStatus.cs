using System.Text.Json.Serialization;

namespace Agent.Persistence.Threads;

/// <summary>
/// The LangGraph thread status (LangGraph SDK <c>ThreadStatus</c>). Spelled in lower case on the wire and in the
/// <c>threads.status</c> column (<see cref="Agent.Persistence.Wire.WireName"/> reads and writes the spelling).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<AgentThreadStatus>))]
public enum AgentThreadStatus
{
    /// <summary>No run is pending or running. The default.</summary>
    [JsonStringEnumMemberName("idle")]
    Idle,

    /// <summary>A run is pending or running.</summary>
    [JsonStringEnumMemberName("busy")]
    Busy,

    /// <summary>The last run was interrupted.</summary>
    [JsonStringEnumMemberName("interrupted")]
    Interrupted,

    /// <summary>The last run failed.</summary>
    [JsonStringEnumMemberName("error")]
    Error,
}
