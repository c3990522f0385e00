using System.Text.Json.Serialization;

namespace Agent.Api.Runs;

/// <summary>
/// What happens to a streamed or awaited run when its client disconnects (LangGraph <c>DisconnectMode</c>, reference
/// section 2.2: <c>on_disconnect</c>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<DisconnectMode>))]
internal enum DisconnectMode
{
    /// <summary>Cancels the run with <c>interrupt</c>.</summary>
    [JsonStringEnumMemberName("cancel")]
    Cancel,

    /// <summary>Lets the run go on; the client can join it later. The default.</summary>
    [JsonStringEnumMemberName("continue")]
    Continue,
}
