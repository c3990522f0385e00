using System.Text.Json.Serialization;

namespace Agent.Persistence.Runs;

/// <summary>
/// How a run is cancelled (LangGraph <c>CancelAction</c>, the <c>action</c> query parameter of
/// <c>POST .../cancel</c>). Spelled in lower case on the wire, in the <c>runs.cancel_action</c> column and in
/// <c>CancelAgentRun.Action</c>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<CancelAction>))]
public enum CancelAction
{
    /// <summary>Stops the run and keeps its completed steps; the run ends <c>interrupted</c>. The default.</summary>
    [JsonStringEnumMemberName("interrupt")]
    Interrupt,

    /// <summary>Stops the run and deletes it with its checkpoints.</summary>
    [JsonStringEnumMemberName("rollback")]
    Rollback,
}
