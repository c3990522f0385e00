using System.Text.Json.Serialization;

namespace Agent.Api.Runs;

/// <summary>
/// What happens to a stateless run's thread when the run ends (LangGraph <c>OnCompletionBehavior</c>, reference section
/// 2.2: <c>on_completion</c>; a cron's <c>on_run_completed</c>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<OnCompletionBehavior>))]
internal enum OnCompletionBehavior
{
    /// <summary>Deletes the thread. The default of a stateless run.</summary>
    [JsonStringEnumMemberName("delete")]
    Delete,

    /// <summary>Keeps the thread. What a run on a thread always does.</summary>
    [JsonStringEnumMemberName("keep")]
    Keep,
}
