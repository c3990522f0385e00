using System.Text.Json.Serialization;

namespace Agent.Api.Runs;

/// <summary>
/// What a run or cron on a thread that does not exist does (LangGraph <c>IfNotExists</c>, reference section 2.2:
/// <c>if_not_exists</c>).
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<IfNotExists>))]
internal enum IfNotExists
{
    /// <summary>Creates the thread with the id given.</summary>
    [JsonStringEnumMemberName("create")]
    Create,

    /// <summary>Answers 404 for the missing thread. The default.</summary>
    [JsonStringEnumMemberName("reject")]
    Reject,
}
