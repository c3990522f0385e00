using System.Text.Json.Serialization;

namespace Agent.Api.Runs;

/// <summary>
/// When a run's checkpoints are written (LangGraph <c>Durability</c>, reference section 2.2: <c>durability</c>). This server
/// commits every step before the next one starts, which satisfies <see cref="Sync"/> and <see cref="Async"/>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<Durability>))]
internal enum Durability
{
    /// <summary>Each step is checkpointed before the next one starts.</summary>
    [JsonStringEnumMemberName("sync")]
    Sync,

    /// <summary>Each step is checkpointed while the next one runs.</summary>
    [JsonStringEnumMemberName("async")]
    Async,

    /// <summary>Only the end of the run is checkpointed: a weaker promise this server does not make (refused).</summary>
    [JsonStringEnumMemberName("exit")]
    Exit,
}
